/**
 * Median wall time of `cosmos list runs --json` (the built executable, as a user runs it) with 1 000 runs
 * in the database. Target: under 0.5 s.
 *
 *   npm run build && npx tsx bench/cli-list-runs.ts [--runs 1000] [--repeat 15]
 *
 * Uses DATABASE_URL's server when set (in a throwaway database), otherwise an embedded PostgreSQL.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { createDb, migrateDb } from '../src/db/client.js';
import { newPromptId, newRunId } from '../src/db/ids.js';
import { prompts, runs, runStatuses, type NewRun } from '../src/db/schema.js';
import { openBenchDatabase } from './bench-database.js';
import { printTable } from './print-table.js';

const exec = promisify(execFile);
const root = resolve(import.meta.dirname, '..');
const entry = join(root, 'bin', 'cosmos.js');

const { values } = parseArgs({ options: { runs: { type: 'string', default: '1000' }, repeat: { type: 'string', default: '15' } } });
const runCount = Number(values.runs);
const repeat = Number(values.repeat);

async function main(): Promise<void> {
  if (!existsSync(join(root, 'dist', 'src', 'client', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  const dir = await mkdtemp(join(tmpdir(), 'cosmos-bench-'));
  await chmod(dir, 0o755);
  const { url, stop } = await openBenchDatabase(dir);
  try {
    await migrateDb(url);
    await seed(url, runCount);
    const configPath = join(dir, 'cosmos.toml');
    // The listing never talks to Temporal; the address only has to be present.
    await writeFile(configPath, `data_dir = ${JSON.stringify(join(dir, 'data'))}\n\n[database]\nurl = ${JSON.stringify(url)}\n\n[temporal]\naddress = "127.0.0.1:1"\n`);
    const cases: [string, string[]][] = [
      ['cosmos --help (startup only)', ['--help']],
      ['cosmos list runs --json', ['list', 'runs', '--json']],
      [`cosmos list runs --json --limit ${runCount}`, ['list', 'runs', '--json', '--limit', String(runCount)]],
    ];
    const rows: string[][] = [];
    for (const [label, args] of cases) {
      await time(configPath, args);
      const samples: number[] = [];
      let printed = 0;
      for (let i = 0; i < repeat; i++) {
        const { ms, stdout } = await time(configPath, args);
        samples.push(ms);
        printed = args[0] === 'list' ? (JSON.parse(stdout) as { runs: unknown[] }).runs.length : 0;
      }
      samples.sort((a, b) => a - b);
      rows.push([label, String(printed), fmt(median(samples)), fmt(samples[0]!), fmt(samples.at(-1)!)]);
    }
    console.log(`\n${runCount} runs in the database, ${repeat} timed runs per case (after one warm-up), node ${process.version}\n`);
    printTable(['case', 'rows printed', 'median', 'min', 'max'], rows);
  } finally {
    await stop();
    await rm(dir, { recursive: true, force: true });
  }
}


/** 50 prompts, `count` runs spread over them with every status, outputs filled in like real completed runs. */
async function seed(url: string, count: number): Promise<void> {
  const { db, close } = createDb(url);
  try {
    const video = { path: '/data/inputs/color.mp4', sha256: 'a'.repeat(64), bytes: 1_000_000, width: 1280, height: 704, frames: 121, fps: 24 };
    const promptRows = Array.from({ length: 50 }, (_, i) => ({
      id: newPromptId(), name: `prompt_${i}`, promptText: `prompt number ${i}: a scene `.repeat(20), negativePrompt: 'n',
      inputs: { video }, contentKey: randomBytes(16).toString('hex'), createdAt: new Date(Date.now() - (count + 100) * 60_000),
    }));
    await db.insert(prompts).values(promptRows);
    const runRows: NewRun[] = Array.from({ length: count }, (_, i) => {
      const status = runStatuses[i % runStatuses.length]!;
      const id = newRunId();
      const terminal = status === 'completed' || status === 'failed' || status === 'cancelled';
      return {
        id, promptId: promptRows[i % promptRows.length]!.id, modelType: i % 10 === 0 ? 'upscale' : 'transfer', status,
        stage: status === 'running' ? 'generating' : null, progress: status === 'completed' ? 1 : 0.4,
        executionConfig: { weights: { vis: 0.25, edge: 0.25, depth: 0.25, seg: 0.25 }, num_steps: 35, guidance: 5, seed: i, fps: 24 },
        outputs: status === 'completed'
          ? { runDir: `/data/runs/${id}`, files: ['output.mp4', 'spec.json', 'run.log'].map((name) => ({ name, path: `/data/runs/${id}/${name}`, bytes: 1000, sha256: 'b'.repeat(64) })) }
          : null,
        ...(status === 'failed' ? { errorMessage: 'CUDA out of memory', failureKind: 'out_of_memory' as const } : {}),
        gpuHost: `h100-${i % 4}`, createdAt: new Date(Date.now() - (count - i) * 60_000),
        ...(terminal ? { completedAt: new Date(Date.now() - (count - i) * 60_000 + 30_000) } : {}),
      };
    });
    for (let i = 0; i < runRows.length; i += 500) await db.insert(runs).values(runRows.slice(i, i + 500));
  } finally {
    await close();
  }
}

async function time(configPath: string, args: string[]): Promise<{ ms: number; stdout: string }> {
  const env = { ...process.env, COSMOS_CONFIG: configPath, DATABASE_URL: '', TEMPORAL_ADDRESS: '', NO_COLOR: '1' };
  const started = process.hrtime.bigint();
  const { stdout } = await exec(process.execPath, [entry, ...args], { env, maxBuffer: 64 * 1024 * 1024 });
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, stdout };
}

const median = (sorted: number[]) => (sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2);
const fmt = (ms: number) => `${(ms / 1000).toFixed(3)} s`;

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
