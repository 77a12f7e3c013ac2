/**
 * Load on the HTTP API of `cosmos dev`: rounds of 200 concurrent list/get requests, then 50 concurrent run starts
 * (and their cancels, so no GPU job outlives the benchmark). Prints p50/p99/max latency and errors per phase.
 *
 *   npm run build && npx tsx bench/api-load.ts [--concurrency 200] [--rounds 5] [--starts 50]
 *
 * Starts its own `cosmos dev` (built executable, embedded Temporal + PostgreSQL, simulator host) in a throwaway
 * data directory and stops it at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { printTable } from './print-table.js';
import { machineCpuSeconds, ownCpuSeconds } from './process-cpu.js';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: { concurrency: { type: 'string', default: '200' }, rounds: { type: 'string', default: '5' }, starts: { type: 'string', default: '50' } },
});
const concurrency = Number(values.concurrency);
const rounds = Number(values.rounds);
const starts = Number(values.starts);

interface Sample { ms: number; ok: boolean }

let serverPid = 0;
interface Phase { label: string; samples: Sample[]; wallMs: number; serverCpuMs: number; clientCpuMs: number; machineCpuMs: number }

async function main(): Promise<void> {
  if (!existsSync(join(root, 'dist', 'src', 'client', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  const dir = await mkdtemp(join(tmpdir(), 'cosmos-bench-api-'));
  await chmod(dir, 0o755);
  const dev = await startDev(dir);
  serverPid = dev.child.pid!;
  try {
    const api = (path: string, init: RequestInit = {}) =>
      request(`${dev.url}${path}`, { ...init, headers: { ...(init.headers as Record<string, string>), Authorization: `Bearer ${dev.token}` } });
    const promptIds: string[] = [];
    for (const text of ['a harbour at dawn', 'a desert road at noon', 'a forest in fog']) {
      const created = await api('/prompts', json({ text, videoDir: join(root, 'samples', 'demo') }));
      promptIds.push((created.body as { prompt: { id: string } }).prompt.id);
    }
    const seedRuns = await Promise.all(promptIds.map((promptId) => api('/runs', json({ promptId }))));
    const runIds = seedRuns.map((r) => (r.body as { run: { id: string } }).run.id);
    // The reads below list and show these runs finished; while they run, their simulated GPU jobs share the two cores.
    await waitUntilSettled(api, runIds);

    const reads = [
      '/runs?limit=50', '/runs?status=completed', `/runs/${runIds[0]}`, `/runs/${runIds[1]}`, '/prompts', `/prompts/${promptIds[0]}`,
    ];
    const phases: Phase[] = [];
    for (let round = 0; round < rounds; round++) {
      phases.push(await phase(`${concurrency} concurrent list/get (round ${round + 1})`, concurrency, (i) => api(reads[i % reads.length]!)));
    }
    const started: string[] = [];
    phases.push(await phase(`${starts} concurrent run starts`, starts, async (i) => {
      const res = await api('/runs', json({ promptId: promptIds[i % promptIds.length], params: { seed: 100 + i } }));
      if (res.ok) started.push((res.body as { run: { id: string } }).run.id);
      return res;
    }));
    phases.push(await phase(`${concurrency} concurrent list/get, ${starts} runs queued`, concurrency, (i) => api(reads[i % reads.length]!)));
    const open = [...runIds, ...started];
    phases.push(await phase(`${open.length} concurrent cancels`, open.length, (i) => api(`/runs/${open[i]}/cancel`, { method: 'POST' })));
    await waitUntilSettled(api, open);

    console.log(`\ncosmos dev on ${cpus().length} CPU(s), node ${process.version}; API ${dev.url}\n`);
    console.log('CPU ms per request: the cosmos dev process (API, worker and their threads), this load client, the whole machine.');
    printTable(['phase', 'requests', 'p50', 'p99', 'max', 'errors', 'req/s', 'server CPU', 'client CPU', 'machine CPU'], phases.map((p) => {
      const sorted = p.samples.map((s) => s.ms).sort((a, b) => a - b);
      return [
        p.label, String(p.samples.length), fmt(quantile(sorted, 0.5)), fmt(quantile(sorted, 0.99)), fmt(sorted.at(-1)!),
        String(p.samples.filter((s) => !s.ok).length), (p.samples.length / (p.wallMs / 1000)).toFixed(0),
        ...[p.serverCpuMs, p.clientCpuMs, p.machineCpuMs].map((ms) => (ms / p.samples.length).toFixed(2)),
      ];
    }));
  } finally {
    await stopDev(dev.child);
    await rm(dir, { recursive: true, force: true });
  }
}

/** Fires `count` requests at once and records each one's latency; a non-2xx answer or a network error is an error. */
async function phase(label: string, count: number, send: (i: number) => Promise<{ ok: boolean }>): Promise<Phase> {
  const server = serverPid;
  const cpu0 = { server: ownCpuSeconds(server), client: process.cpuUsage(), machine: machineCpuSeconds() };
  const t0 = performance.now();
  const samples = await Promise.all(Array.from({ length: count }, async (_, i) => {
    const start = performance.now();
    const ok = await send(i).then((r) => r.ok, () => false);
    return { ms: performance.now() - start, ok };
  }));
  const client = process.cpuUsage(cpu0.client);
  return {
    label, samples, wallMs: performance.now() - t0,
    serverCpuMs: (ownCpuSeconds(server) - cpu0.server) * 1000, clientCpuMs: (client.user + client.system) / 1000,
    machineCpuMs: (machineCpuSeconds() - cpu0.machine) * 1000,
  };
}

async function request(url: string, init: RequestInit = {}): Promise<{ ok: boolean; status: number; body: unknown }> {
  const response = await fetch(url, init);
  const body = await response.json().catch(() => null);
  // 400 "already completed" on a cancel is an expected answer for runs that finished in time.
  const expected = response.ok || (init.method === 'POST' && url.endsWith('/cancel') && response.status === 400);
  return { ok: expected, status: response.status, body };
}

const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

async function waitUntilSettled(api: (path: string) => Promise<{ body: unknown }>, runIds: string[]): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (const id of runIds) {
    while (Date.now() < deadline) {
      const { body } = await api(`/runs/${id}`);
      if (['completed', 'failed', 'cancelled'].includes((body as { run: { status: string } }).run.status)) break;
      await sleep(250);
    }
  }
}

async function startDev(dir: string): Promise<{ child: ChildProcess; url: string; token: string }> {
  // e.g. BENCH_DEV_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the server under this load.
  const nodeArgs = (process.env.BENCH_DEV_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, join(root, 'bin', 'cosmos.js'), 'dev', '--port', '0'], {
    cwd: dir, env: { ...process.env, HOME: dir, COSMOS_DATA_DIR: join(dir, 'data'), COSMOS_CONFIG: '', DATABASE_URL: '', TEMPORAL_ADDRESS: '', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolvePromise, reject) => {
    let url = '';
    let token = '';
    createInterface({ input: child.stdout! }).on('line', (line) => {
      url ||= /^\s+API\s+(http:\/\/\S+)/.exec(line)?.[1] ?? '';
      // The token cosmos dev made for its data directory, from the gallery URL it prints.
      token ||= /^\s+Gallery\s+\S+#token=(\S+)/.exec(line)?.[1] ?? '';
      if (line.includes('Ctrl-C stops everything')) resolvePromise({ child, url, token });
    });
    child.once('exit', (code) => reject(new Error(`cosmos dev exited ${code} before it was ready`)));
  });
}

async function stopDev(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGINT');
  await Promise.race([exited, sleep(60_000).then(() => child.kill('SIGKILL'))]);
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
