/**
 * How fast `cosmos` starts: `--help` and a command's `--help` (no config, no database), through bin/cosmos.js
 * (the bundle `npm run build` writes) and straight from dist/src (what a plain `tsc` build runs), beside a bare
 * `node -e ""`. Rounds are interleaved so that load from elsewhere hits every case alike. Target: `cosmos --help` ≤ 0.15 s.
 *
 *   npm run bench:cli-startup -- [--repeat 15]
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { printTable } from './print-table.js';
import { isMainModule, projectRoot, summarize, summaryCells, type Summary } from './timing.js';

const exec = promisify(execFile);

const cases: Array<[string, string[]]> = [
  ['node -e "" (Node.js alone)', ['-e', '']],
  ['cosmos --help', [join(projectRoot, 'bin', 'cosmos.js'), '--help']],
  ['cosmos --help (dist/src, no bundle)', [join(projectRoot, 'dist', 'src', 'client', 'cli', 'main.js'), '--help']],
  ['cosmos list --help', [join(projectRoot, 'bin', 'cosmos.js'), 'list', '--help']],
  ['cosmos list --help (dist/src, no bundle)', [join(projectRoot, 'dist', 'src', 'client', 'cli', 'main.js'), 'list', '--help']],
  ['cosmos show --help', [join(projectRoot, 'bin', 'cosmos.js'), 'show', '--help']],
];

export async function runCliStartupBench(options: { repeat?: number } = {}): Promise<Array<{ label: string; summary: Summary }>> {
  const repeat = options.repeat ?? 15;
  if (!existsSync(join(projectRoot, 'dist', 'cli-bundle', 'main.js'))) throw new Error('dist/cli-bundle is missing: run `npm run build` first');
  const samples = cases.map(() => [] as number[]);
  const env = { ...process.env, NO_COLOR: '1' };
  for (let round = -1; round < repeat; round++) {
    for (const [i, [, args]] of cases.entries()) {
      const started = performance.now();
      await exec(process.execPath, args, { env });
      if (round >= 0) samples[i]!.push(performance.now() - started);
    }
  }
  const rows = cases.map(([label], i) => ({ label, summary: summarize(samples[i]!) }));
  console.log(`\nCLI start, ${repeat} interleaved rounds after one warm-up, node ${process.version}\n`);
  printTable(['case', 'samples', 'min', 'median', 'p99', 'max'], rows.map((row) => [row.label, ...summaryCells(row.summary)]));
  return rows;
}

if (isMainModule(import.meta.url)) {
  const { values } = parseArgs({ options: { repeat: { type: 'string' } } });
  runCliStartupBench(values.repeat !== undefined ? { repeat: Number(values.repeat) } : {}).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
