/**
 * Listings at 100 000 runs and 20 000 prompts: every list, search and analytics route of the HTTP API (a real
 * HTTP server built from the app, in its own process), 200 concurrent reads (p50/p99), and the CLI's list, search and show (the
 * built executable, a fresh process each time). Prints one table with min/median/p99/max per case.
 *
 *   npm run bench:listings -- [--runs 100000] [--prompts 20000] [--repeat 20] [--cli-repeat 7] [--rounds 5]
 *
 * Uses DATABASE_URL's server when set (in a throwaway database), otherwise an embedded PostgreSQL.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { migrateDb } from '../src/db/client.js';
import { seedAtScale, type ScaleSample } from '../tests/helpers/seed-at-scale.js';
import { openBenchDatabase } from './bench-database.js';
import { startListingsApi } from './listings-api-server.js';
import { printTable } from './print-table.js';
import { isMainModule, projectRoot, runBuiltCosmos, sample, summarize, summaryCells, type Summary } from './timing.js';

export interface ListingsBenchOptions { runs?: number; prompts?: number; repeat?: number; cliRepeat?: number; rounds?: number; concurrency?: number }
export interface BenchRow { label: string; summary: Summary }

export async function runListingsBench(options: ListingsBenchOptions = {}): Promise<BenchRow[]> {
  const { runs = 100_000, prompts = 20_000, repeat = 20, cliRepeat = 7, rounds = 5, concurrency = 200 } = options;
  if (!existsSync(join(projectRoot, 'dist', 'cli-bundle', 'main.js'))) throw new Error('dist/cli-bundle is missing: run `npm run build` first');
  const dir = await mkdtemp(join(tmpdir(), 'cosmos-bench-listings-'));
  await chmod(dir, 0o755);
  const database = await openBenchDatabase(dir);
  try {
    await migrateDb(database.url);
    const seeded = await seedAtScale(database.url, { prompts, runs, eventsPerRun: 4 });
    const configPath = join(dir, 'cosmos.toml');
    // Listings never talk to Temporal; the address only has to be present.
    await writeFile(configPath, `data_dir = ${JSON.stringify(join(dir, 'data'))}\n\n[database]\nurl = ${JSON.stringify(database.url)}\n\n[temporal]\naddress = "127.0.0.1:1"\n`);
    const rows = await measureApi(configPath, seeded, { repeat, rounds, concurrency });
    rows.push(...await measureCli(configPath, seeded, cliRepeat));
    console.log(`\n${runs} runs, ${prompts} prompts; ${cpus().length} CPU(s), node ${process.version}\n`);
    printTable(['case', 'samples', 'min', 'median', 'p99', 'max'], rows.map((row) => [row.label, ...summaryCells(row.summary)]));
    return rows;
  } finally {
    await database.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

function apiPaths(s: ScaleSample): string[] {
  return [
    '/runs', '/runs?status=failed', '/runs?status=running', '/runs?modelType=upscale', `/runs?promptId=${s.promptId}`,
    `/runs?batchId=${s.batchId}`, '/runs?host=h100-3', '/runs?status=completed&host=h100-3&modelType=transfer', '/runs?limit=200',
    '/prompts', '/prompts?limit=200', `/prompts/search?q=${s.promptWord}`, '/prompts/search?q=zebra', `/prompts/search?q=${s.runIdFragment}`,
    `/prompts/${s.promptId}`, `/runs/${s.runId}`, `/batches/${s.batchId}`, '/analytics', '/analytics?days=365',
  ];
}

async function measureApi(configPath: string, s: ScaleSample, o: { repeat: number; rounds: number; concurrency: number }): Promise<BenchRow[]> {
  const server = await startListingsApi(configPath);
  const get = async (path: string) => {
    const response = await fetch(`${server.url}${path}`);
    const body = await response.json() as { nextCursor?: string | null };
    if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${JSON.stringify(body)}`);
    return body;
  };
  try {
    const rows: BenchRow[] = [];
    for (const path of apiPaths(s)) rows.push({ label: `GET ${path.replace(/(ps|rs|bt)_[0-9a-f]{32}/, '$1_…')}`, summary: await sample(o.repeat, () => get(path)) });
    const first = await get('/runs');
    if (first.nextCursor) {
      rows.push({ label: 'GET /runs?cursor=… (page 2)', summary: await sample(o.repeat, () => get(`/runs?cursor=${encodeURIComponent(first.nextCursor!)}`)) });
    }
    const reads = ['/runs', '/runs?status=completed', `/runs/${s.runId}`, `/prompts/${s.promptId}`, '/prompts', `/prompts/search?q=${s.promptWord}`, '/runs?host=h100-1'];
    const latencies: number[] = [];
    for (let round = 0; round < o.rounds; round++) {
      await Promise.all(Array.from({ length: o.concurrency }, async (_, i) => {
        const started = performance.now();
        await get(reads[i % reads.length]!);
        latencies.push(performance.now() - started);
      }));
    }
    rows.push({ label: `API, ${o.concurrency} concurrent list/get/search × ${o.rounds} rounds (fetch, in the bench process)`, summary: summarize(latencies) });
    // The same reads after those, from a lean client in its own process: on 2 cores the fetch client's own CPU
    // counts in the latencies above.
    const lean = await runLeanClient(server.url, o.concurrency, o.rounds, reads);
    rows.push({ label: `API, ${o.concurrency} concurrent list/get/search × ${o.rounds} rounds (node:http, own process)`, summary: summarize(lean) });
    return rows;
  } finally {
    await server.stop();
  }
}

async function runLeanClient(url: string, concurrency: number, rounds: number, paths: string[]): Promise<number[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'bench', 'http-load.ts'), url, String(concurrency), String(rounds), ...paths], {
    cwd: projectRoot, stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => { out += chunk.toString('utf8'); });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`bench/http-load.ts exited ${code}`);
  return (JSON.parse(out.trim().split('\n').at(-1)!) as { latencies: number[] }).latencies;
}

async function measureCli(configPath: string, s: ScaleSample, repeat: number): Promise<BenchRow[]> {
  const cases: string[][] = [
    ['--help'], ['list', 'runs'], ['list', 'runs', '--json'], ['list', 'runs', '--status', 'failed', '--host', 'h100-2'], ['list', 'prompts'],
    ['search', s.promptWord], ['search', s.runIdFragment], ['search', 'zebra'], ['show', s.runId], ['show', s.promptId],
  ];
  const rows: BenchRow[] = [];
  const env = { COSMOS_CONFIG: configPath };
  for (const args of cases) {
    const label = `cosmos ${args.join(' ').replace(/(ps|rs|bt)_[0-9a-f]{32}/, '$1_…')}`;
    rows.push({ label, summary: await sample(repeat, () => runBuiltCosmos(args, env)) });
  }
  // What a plain `tsc` build runs (no bundle), side by side with the same commands.
  for (const args of [['list', 'runs'], ['search', s.promptWord], ['show', s.runId]]) {
    const label = `cosmos ${args.join(' ').replace(/(ps|rs|bt)_[0-9a-f]{32}/, '$1_…')} (dist/src, no bundle)`;
    rows.push({ label, summary: await sample(repeat, () => runBuiltCosmos(args, env, { fromDist: true })) });
  }
  return rows;
}

if (isMainModule(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string' }, prompts: { type: 'string' }, repeat: { type: 'string' }, 'cli-repeat': { type: 'string' },
      rounds: { type: 'string' }, concurrency: { type: 'string' },
    },
  });
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const options: ListingsBenchOptions = Object.fromEntries(Object.entries({
    runs: num(values.runs), prompts: num(values.prompts), repeat: num(values.repeat), cliRepeat: num(values['cli-repeat']),
    rounds: num(values.rounds), concurrency: num(values.concurrency),
  }).filter(([, v]) => v !== undefined));
  runListingsBench(options).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
