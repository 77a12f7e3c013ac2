// Builds the GPU-host simulator's thin command client (simulator/client/main.go, standard library only) into
// dist/simulator/sim-client. Without Go the simulator's docker and nvidia-smi stay plain node scripts: the same
// behaviour, a node start (about 0.1 CPU-s) per command.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'simulator', 'sim-client');
const source = join(root, 'simulator', 'client', 'main.go');
if (existsSync(out) && statSync(out).mtimeMs > statSync(source).mtimeMs) process.exit(0);
const go = [process.env.GO, 'go', '/usr/local/go/bin/go'].filter(Boolean)
  .find((candidate) => spawnSync(candidate, ['version'], { stdio: 'ignore' }).status === 0);
rmSync(out, { force: true });
if (!go) {
  console.warn('build-sim-client: Go is not installed; the simulator runs each docker/nvidia-smi command as a node process (slower)');
  process.exit(0);
}
mkdirSync(dirname(out), { recursive: true });
const built = spawnSync(go, ['build', '-trimpath', '-o', out, source], {
  cwd: root, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-mod=mod', GO111MODULE: 'off' },
});
if (built.status !== 0 || !existsSync(out)) {
  rmSync(out, { force: true });
  console.warn(`build-sim-client: go build failed (exit ${built.status}); the simulator runs each command as a node process`);
}
