// Runs the test files in two vitest processes side by side ("lanes"), each with its own Temporal dev server and
// PostgreSQL (tests/global-setup.ts), inside a lane one file at a time as before. Most files wait on timers,
// heartbeats and simulated GPU time rather than the CPU, so two lanes finish a 2-core run in well under the time of
// one. Files go to lanes by their weight (seconds measured in a CI run, tests/lane-weights.json; a file not listed
// counts as 20 s), heaviest first, each to the lighter lane.
//
//   node scripts/test-lanes.mjs [--lanes N] [vitest args...]      (COSMOS_TEST_LANES=1 runs one lane)
// Each lane's output goes to .test-artifacts/lane-N.log and is printed whole when that lane ends; a line per
// finished file is printed as it happens. The exit code is non-zero if any lane failed.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const artifacts = join(root, '.test-artifacts');
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
const args = process.argv.slice(2);
let lanes = Number(process.env.COSMOS_TEST_LANES ?? 2);
const at = args.indexOf('--lanes');
if (at >= 0) {
  lanes = Number(args[at + 1]);
  args.splice(at, 2);
}
if (!Number.isInteger(lanes) || lanes < 1) throw new Error(`--lanes must be a whole number ≥ 1 (got ${lanes})`);

// Named files or a filter: just those, in one vitest process.
if (args.some((a) => !a.startsWith('-'))) {
  const child = spawn(process.execPath, [vitest, 'run', ...args], { cwd: root, stdio: 'inherit' });
  child.on('close', (code) => process.exit(code ?? 1));
} else {
  await runAll();
}

async function runAll() {
  const weights = JSON.parse(readFileSync(join(root, 'tests', 'lane-weights.json'), 'utf8'));
  const files = readdirSync(join(root, 'tests'), { recursive: true })
    .map((name) => join('tests', String(name)).split('\\').join('/'))
    .filter((name) => name.endsWith('.test.ts'))
    .sort();
  const groups = Array.from({ length: lanes }, () => ({ files: [], weight: 0 }));
  for (const file of [...files].sort((a, b) => (weights[b] ?? 20) - (weights[a] ?? 20) || a.localeCompare(b))) {
    const lightest = groups.reduce((best, group) => (group.weight < best.weight ? group : best));
    lightest.files.push(file);
    lightest.weight += weights[file] ?? 20;
  }

  mkdirSync(artifacts, { recursive: true });
  const started = Date.now();
  const results = await Promise.all(groups.map((group, index) => runLane(index + 1, group)));
  console.log(`\n==> test lanes (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  for (const r of results) console.log(`    lane ${r.lane}: ${r.files} files, exit ${r.code}, ${r.seconds} s${r.summary ? ` — ${r.summary}` : ''}`);
  process.exit(results.every((r) => r.code === 0) ? 0 : 1);
}

function runLane(lane, group) {
  const logPath = join(artifacts, `lane-${lane}.log`);
  const log = createWriteStream(logPath);
  const t0 = Date.now();
  console.log(`==> lane ${lane}: ${group.files.length} files, about ${group.weight} s of tests (${relative(root, logPath)})`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [vitest, 'run', ...args, ...group.files], {
      cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, COSMOS_TEST_LANE: String(lane) },
    });
    let text = '';
    let partial = '';
    const onData = (chunk) => {
      const s = chunk.toString();
      log.write(s);
      text += s;
      partial += s;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      // One line per finished file, so a long run shows it is moving.
      for (const line of lines) if (/^\s*[✓×❯] tests\//.test(line.replace(/\u001b\[[0-9;]*m/g, ''))) console.log(`[lane ${lane}] ${line.trim()}`);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('close', (code, signal) => {
      log.end();
      const plain = text.replace(/\u001b\[[0-9;]*m/g, '');
      console.log(`\n==> lane ${lane} output (exit ${code ?? signal})\n${plain}`);
      const summary = [...plain.matchAll(/^\s*(Test Files|Tests)\s+(.*)$/gm)].map((m) => `${m[1]} ${m[2].trim()}`).join('; ');
      resolve({ lane, files: group.files.length, code: code ?? 1, seconds: ((Date.now() - t0) / 1000).toFixed(0), summary });
    });
  });
}
