/**
 * The shared GPU scheduler (issue 13) on the real stack: embedded Temporal + PostgreSQL, the worker as its own
 * process (`node dist/src/worker.js`, default settings), a real sshd in front of simulated GPU hosts. Every figure
 * is measured in this run: container times from the simulator's own record (start/exit per container and device),
 * leases and releases from a trigger on `gpu_jobs` (the bench's own database), activity times from the Temporal
 * histories. Each scenario gets a fresh stack, so the queue's estimates learn only from that scenario's runs.
 *
 *   npm run bench:scheduler                     # builds first
 *   npx tsx bench/scheduler.ts [--rounds 1] [--mixed 40] [--burst 200] [--only mixed,burst]
 *
 * 1. mixed: `--mixed` alternating short and long runs (long ≈ 4× short), unpinned, on 2 hosts × 2 GPUs: makespan
 *    (first submit → last container exit) against the greedy ideal (the measured container times list-scheduled
 *    in submission order onto the 4 slots).
 * 2. burst: `--burst` short runs on one 8-GPU host: most containers at once, the idle time of a device between one
 *    container's exit and the next one's start (and where it goes), wall time.
 * 3. estimates: during both, the `cosmos queue` report (buildQueueReport) is sampled every 2 s; each waiting job's
 *    estimated start and each running job's estimated end is compared with the container's actual start/exit.
 * Then where the time goes: each idle slot phase by phase (lease log, histories, a logging shim around the host's
 * docker and nvidia-smi), the host commands' own times, SSH round trips, CPU by process tree (the machine is shared:
 * what is not ours shows as the rest), signals and workflow tasks per run.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { buildQueueReport } from '../src/client/queue.js';
import { startInference, waitForRun, workflowIdForRun } from '../src/client/runs.js';
import { connectTemporal } from '../src/client/temporal.js';
import { seedCheckpoints } from '../src/gpu/doctor/seed-checkpoints.js';
import { loadConfig, type Config } from '../src/config.js';
import { createPrompt } from '../src/core/create-prompt.js';
import { createDb, type Db } from '../src/db/client.js';
import type { Run } from '../src/db/schema.js';
import { describeJobLayout } from '../src/gpu/job-layout.js';
import { openHostTransport } from '../src/gpu/open-transport.js';
import { startEmbeddedStack, type EmbeddedStack } from '../src/services/embedded-stack.js';
import { parseRfc3339Nano } from '../simulator/clock.js';
import { installSimulator, listSimContainers, type SimContainer } from '../simulator/install.js';
import { startSshd, type TestSshd } from '../tests/helpers/sshd.js';
import { machineCpuSeconds } from './process-cpu.js';
import { printTable } from './print-table.js';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '1' }, mixed: { type: 'string', default: '40' }, burst: { type: 'string', default: '200' },
    only: { type: 'string', default: 'mixed,burst' },
  },
});
const rounds = Number(values.rounds);
const mixedRuns = Number(values.mixed);
const burstRuns = Number(values.burst);
const only = new Set(values.only.split(','));

/**
 * Simulator time: model load 2 s, and the sampling of the demo video's chunk scales with num_steps. At a time scale
 * of 0.02 the mixed scenario's short run (10 steps) takes about 5 s of container time and the long one (60 steps)
 * about 4× that; the burst's short run (5 steps) about 3 s.
 */
const sim = { timeScale: 0.02, modelLoadSeconds: 100, secondsPerChunk: 540 };
const mixedSteps = { short: 10, long: 60 };
const burstSteps = 5;
const sampleEveryMs = 2000;

// ---------------------------------------------------------------------------------------------------------------
// One scenario's stack: sshd, simulated hosts, embedded Temporal + PostgreSQL, the worker process.

interface SimHost { name: string; gpus: number; home: string; remoteDir: string; commandLog: string }
interface Scenario {
  dir: string; config: Config; stack: EmbeddedStack; sshd: TestSshd; worker: ChildProcess; hosts: SimHost[];
  db: Db; sql: postgres.Sql; temporal: Awaited<ReturnType<typeof connectTemporal>>;
  deps: { db: Db; temporal: Awaited<ReturnType<typeof connectTemporal>>['client']; config: Config };
  stop(): Promise<void>;
}

async function startScenario(label: string, hostGpus: number[]): Promise<Scenario> {
  const dir = await mkdtemp(join(tmpdir(), `cosmos-bench-sched-${label}-`));
  await chmod(dir, 0o755);
  // Verbose: sshd logs each command and sftp-server (a process of its own, so its CPU shows apart) each file operation.
  const sshd = await startSshd({ dir: join(dir, 'sshd'), logFile: join(dir, 'sshd.log'), verbose: true });
  const hosts: SimHost[] = [];
  const lines = [`data_dir = "${join(dir, 'data')}"`, ''];
  for (const [i, gpus] of hostGpus.entries()) {
    const name = `${label}-${String.fromCharCode(97 + i)}`;
    const installed = await installSimulator(join(dir, `sim-${name}`), { ...sim, gpus });
    const remoteDir = join(dir, `gpu-host-${name}`);
    const commandLog = join(dir, `host-commands-${name}.log`);
    const timed = await timedShims(join(dir, `timed-bin-${name}`), commandLog, { docker: installed.dockerBin, 'nvidia-smi': installed.nvidiaSmiBin });
    hosts.push({ name, gpus, home: installed.home, remoteDir, commandLog });
    lines.push('[[hosts]]', `name = "${name}"`, 'transport = "ssh"', `host = "${sshd.host}"`, `port = ${sshd.port}`, `user = "${sshd.user}"`,
      `key_path = "${sshd.privateKeyPath}"`, `host_key_fingerprint = "${sshd.hostKeyFingerprint}"`,
      `remote_dir = "${remoteDir}"`, `docker = "${timed.docker}"`, `nvidia_smi = "${timed['nvidia-smi']}"`,
      `gpus = [${Array.from({ length: gpus }, (_, d) => d).join(', ')}]`, '');
  }
  await writeFile(join(dir, 'cosmos.toml'), lines.join('\n'));
  const config = loadConfig({ COSMOS_CONFIG: join(dir, 'cosmos.toml') }, dir);
  for (const host of config.hosts) await seedCheckpoints(host);
  const stack = await startEmbeddedStack(config);
  const sql = postgres(stack.databaseUrl, { max: 2, onnotice: () => {} });
  await installLeaseLog(sql);
  const worker = spawn(process.execPath, [join(root, 'dist', 'src', 'worker.js')], {
    env: { ...process.env, COSMOS_CONFIG: join(dir, 'cosmos.toml'), DATABASE_URL: stack.databaseUrl, TEMPORAL_ADDRESS: stack.temporalAddress, COSMOS_LOG_LEVEL: 'ERROR' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const { db, close } = createDb(stack.databaseUrl);
  const temporal = await connectTemporal({ address: stack.temporalAddress, namespace: 'default' });
  return {
    dir, config, stack, sshd, worker, hosts, db, sql, temporal, deps: { db, temporal: temporal.client, config },
    async stop() {
      if (worker.exitCode === null && worker.signalCode === null) {
        worker.kill('SIGTERM');
        await new Promise((done) => worker.once('exit', done));
      }
      await temporal.close();
      await sql.end();
      await close();
      await stack.stop();
      await sshd.stop();
      if (!process.env.KEEP_BENCH_DIR) await rm(dir, { recursive: true, force: true });
      else console.log(`kept ${dir}`);
    },
  };
}

/**
 * The host's `docker` and `nvidia-smi` behind a bash shim that logs when each command began and ended on the host
 * (`$EPOCHREALTIME`, no extra process; the shim itself costs a bash start, a few ms), the CPU time of the command
 * (bash's `times`: user and system of its reaped children), its exit code and arguments.
 */
async function timedShims(dir: string, log: string, tools: Record<string, string>): Promise<Record<string, string>> {
  await mkdir(dir, { recursive: true });
  const out: Record<string, string> = {};
  for (const [tool, real] of Object.entries(tools)) {
    out[tool] = join(dir, tool);
    await writeFile(out[tool], [
      '#!/bin/bash', 's=$EPOCHREALTIME', `'${real}' "$@"`, 'rc=$?', 'e=$EPOCHREALTIME', `a="${tool} $*"`,
      // `times` without a subshell (a fork would report its own, empty, times): through a file of this shell's own.
      `times > '${dir}/times.'$$`, `{ read -r _; read -r cu cs; } < '${dir}/times.'$$`,
      `printf '%s %s %s %s %s %s\\n' "$s" "$e" "$cu" "$cs" "$rc" "\${a:0:2000}" >> '${log}'`, 'exit $rc', '',
    ].join('\n'));
    await chmod(out[tool], 0o755);
  }
  return out;
}

interface HostCommand { start: number; end: number; cpu: number; exitCode: number; what: string; container: string | null }
/** bash's `times` format: 1m2.345s. */
const bashSeconds = (text = '') => { const m = /^(\d+)m([\d.]+)s$/.exec(text); return m ? Number(m[1]) * 60 + Number(m[2]) : 0; };
function readCommandLog(host: SimHost): HostCommand[] {
  let text = '';
  try { text = readFileSync(host.commandLog, 'utf8'); } catch { return []; }
  return text.split('\n').filter(Boolean).map((line) => {
    const [start, end, cu, cs, rc, tool, sub, ...rest] = line.split(' ');
    const args = rest.join(' ');
    return {
      start: Number(start) * 1000, end: Number(end) * 1000, cpu: bashSeconds(cu) + bashSeconds(cs), exitCode: Number(rc),
      what: tool === 'docker' ? `docker ${sub}` : tool!, container: /cosmos-[\w.]+-rs_[0-9a-f]{32}/.exec(`${sub} ${args}`)?.[0] ?? null,
    };
  });
}

/**
 * An SSH command that does nothing (`true`) over its own connection: `idle` times one after another before the runs,
 * then one every 5 s (each costs the host a shell; more often would add load of its own): the round trip under load.
 */
async function sshIdle(scenario: Scenario, times: number): Promise<number[]> {
  const transport = await openHostTransport(scenario.config.hosts[0]!);
  const seconds: number[] = [];
  try {
    for (let i = 0; i <= times; i++) {
      const started = performance.now();
      await transport.exec(['true']);
      if (i > 0) seconds.push((performance.now() - started) / 1000); // the first one also connects
    }
  } finally {
    await transport.close();
  }
  return seconds;
}

/**
 * What the SSH user's shell costs each remote command, started as sshd starts it (`$SHELL -c …` with SSH_CLIENT set:
 * bash then reads ~/.bashrc) against the same shell without it; wall and CPU seconds, median of 5, machine as it is now.
 */
function shellStartup(): { shell: string; sshd: { wall: number; cpu: number }; plain: { wall: number; cpu: number } } {
  const shell = userInfo().shell ?? '/bin/sh';
  const time = (env: string) => {
    const runs = Array.from({ length: 5 }, () => {
      const started = performance.now();
      // stdin not a socket (node's pipes are socketpairs): bash reads ~/.bashrc when stdin is a network connection, as under sshd.
      const out = spawnSync('/bin/bash', ['-c', `env -i HOME="$HOME" PATH=/usr/bin:/bin ${env} '${shell}' -c true; times`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).stdout.trim().split('\n');
      const [cu, cs] = (out.at(-1) ?? '').split(' ');
      return { wall: (performance.now() - started) / 1000, cpu: bashSeconds(cu) + bashSeconds(cs) };
    });
    return { wall: median(runs.map((r) => r.wall)), cpu: median(runs.map((r) => r.cpu)) };
  };
  return { shell, sshd: time('SSH_CLIENT="127.0.0.1 50000 22"'), plain: time('') };
}

function probeSsh(scenario: Scenario): { stop(): Promise<number[]> } {
  const seconds: number[] = [];
  let going = true;
  const loop = (async () => {
    const transport = await openHostTransport(scenario.config.hosts[0]!);
    try {
      while (going) {
        const started = performance.now();
        await transport.exec(['true']).then(() => seconds.push((performance.now() - started) / 1000), () => undefined);
        await new Promise((done) => setTimeout(done, 5000));
      }
    } finally {
      await transport.close();
    }
  })();
  return { async stop() { going = false; await loop; return seconds; } };
}

/** Every enqueue, lease, requeue and release of `gpu_jobs` with the moment it happened (clock_timestamp, not the transaction's start). */
async function installLeaseLog(sql: postgres.Sql): Promise<void> {
  await sql.unsafe(`
    create table bench_lease_log (at timestamptz not null default clock_timestamp(), job_key text not null, what text not null, host text, devices jsonb);
    create function bench_lease_log() returns trigger language plpgsql as $$ begin
      if tg_op = 'DELETE' then insert into bench_lease_log (job_key, what, host, devices) values (old.job_key, 'release', old.host, old.devices); return old; end if;
      if tg_op = 'INSERT' then insert into bench_lease_log (job_key, what) values (new.job_key, 'enqueue'); return new; end if;
      if old.host is distinct from new.host then
        insert into bench_lease_log (job_key, what, host, devices) values (new.job_key, case when new.host is null then 'requeue' else 'lease' end, new.host, new.devices);
      end if;
      return new;
    end $$;
    create trigger bench_lease_log after insert or update or delete on gpu_jobs for each row execute function bench_lease_log();`);
}

/**
 * SSH sessions opened (each a login shell; the transport runs its commands in a few long-lived ones) and SFTP file
 * operations (open, close, stat, …; not reads/writes) so far, from sshd's and sftp-server's logs.
 */
function countHostOperations(scenario: Scenario): { commands: number; sftp: number } {
  const read = (path: string) => { try { return readFileSync(path, 'utf8'); } catch { return ''; } };
  return {
    commands: (read(join(scenario.dir, 'sshd.log')).match(/Starting session: command for/g) ?? []).length,
    sftp: read(join(scenario.dir, 'sshd', 'sftp.log')).split('\n')
      .filter((line) => line && !/^(sent status|session (opened|closed)|received client version)/.test(line)).length,
  };
}

interface LeaseEvents { enqueue?: number; lease?: number; release?: number; requeues: number }
async function readLeaseLog(sql: postgres.Sql): Promise<Map<string, LeaseEvents>> {
  const rows = await sql<{ at: Date; job_key: string; what: string }[]>`select at, job_key, what from bench_lease_log order by at`;
  const byJob = new Map<string, LeaseEvents>();
  for (const row of rows) {
    const events = byJob.get(row.job_key) ?? { requeues: 0 };
    const at = row.at.getTime();
    if (row.what === 'requeue') events.requeues += 1;
    else if (row.what === 'lease') events.lease = at; // the last lease is the one that was used
    else if (row.what === 'enqueue') events.enqueue ??= at;
    else if (row.what === 'release') events.release ??= at;
    byJob.set(row.job_key, events);
  }
  return byJob;
}

// ---------------------------------------------------------------------------------------------------------------
// Measured facts of one run: its container on the simulator, its activities, its lease.

const nsToMs = (text: string) => Number(parseRfc3339Nano(text) / 1000n) / 1000;
interface Measured {
  run: Run; host: SimHost; container: SimContainer; start: number; finish: number; seconds: number;
  /** First line the container's command wrote (the fake model's startup is before it). */
  firstLog: number | null;
  /** The `.docker-run-invoked` marker: the host started running `docker run`. */
  dockerRunInvoked: number | null;
}

async function measureRuns(scenario: Scenario, runs: Run[]): Promise<Measured[]> {
  const containers = new Map<string, { container: SimContainer; host: SimHost }>();
  for (const host of scenario.hosts) for (const c of await listSimContainers(host.home)) containers.set(c.name, { container: c, host });
  return runs.map((run) => {
    const found = containers.get(`cosmos-${run.modelType}-${run.id}`);
    if (!found) throw new Error(`no simulated container for run ${run.id} (${run.status}: ${run.errorMessage ?? ''})`);
    const { container, host } = found;
    const start = nsToMs(container.startedAt);
    const finish = nsToMs(container.finishedAt);
    let firstLog: number | null = null;
    try {
      const line = readFileSync(join(host.home, 'containers', container.name, 'log.jsonl'), 'utf8').split('\n', 1)[0];
      if (line) firstLog = Number(BigInt((JSON.parse(line) as { t: string }).t) / 1000n) / 1000;
    } catch { /* no log */ }
    let dockerRunInvoked: number | null = null;
    try {
      dockerRunInvoked = statSync(`${describeJobLayout(host.remoteDir, run.id).abs.jobDir}/.docker-run-invoked`).mtimeMs;
    } catch { /* gone */ }
    return { run, host, container, start, finish, seconds: (finish - start) / 1000, firstLog, dockerRunInvoked };
  });
}

interface ActivityTimes { scheduled: number; started: number | null; completed: number | null }
/** Each activity of the run's workflow (first attempt's schedule, last start, completion), by activity type. */
async function activityTimeline(scenario: Scenario, runId: string): Promise<{ activities: Map<string, ActivityTimes>; signals: number; workflowTasks: number }> {
  const history = await scenario.temporal.client.workflow.getHandle(workflowIdForRun(runId)).fetchHistory();
  const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;
  const bySchedule = new Map<string, { type: string; times: ActivityTimes }>();
  const result = new Map<string, ActivityTimes>();
  let signals = 0;
  let workflowTasks = 0;
  for (const event of history.events ?? []) {
    if (event.workflowExecutionSignaledEventAttributes) signals += 1;
    if (event.workflowTaskCompletedEventAttributes) workflowTasks += 1;
    const at = ms(event.eventTime);
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) {
      const times = { scheduled: at, started: null, completed: null };
      bySchedule.set(String(event.eventId), { type: scheduled.activityType?.name ?? '?', times });
      if (!result.has(scheduled.activityType?.name ?? '?')) result.set(scheduled.activityType?.name ?? '?', times);
    }
    const started = event.activityTaskStartedEventAttributes;
    if (started) { const s = bySchedule.get(String(started.scheduledEventId)); if (s) s.times.started = at; }
    const completed = event.activityTaskCompletedEventAttributes;
    if (completed) { const s = bySchedule.get(String(completed.scheduledEventId)); if (s) s.times.completed = at; }
  }
  return { activities: result, signals, workflowTasks };
}

// ---------------------------------------------------------------------------------------------------------------
// Submitting, sampling the queue report, waiting.

interface EstimateSample { jobKey: string; kind: 'start' | 'end'; sampledAt: number; estimate: number }

/** Samples the `cosmos queue` report until stopped: waiting jobs' estimated starts, running jobs' estimated ends. */
function sampleQueue(scenario: Scenario): { stop(): Promise<EstimateSample[]>; reports: number; nulls: { start: number; end: number } } {
  const samples: EstimateSample[] = [];
  const state = { stop: async () => samples, reports: 0, nulls: { start: 0, end: 0 } };
  let going = true;
  const loop = (async () => {
    while (going) {
      const now = Date.now();
      const report = await buildQueueReport({ db: scenario.db, config: scenario.config }, now).catch(() => null);
      if (report) {
        state.reports += 1;
        for (const w of report.waiting) {
          if (w.estimatedStartAt) samples.push({ jobKey: w.jobKey, kind: 'start', sampledAt: now, estimate: Date.parse(w.estimatedStartAt) });
          else state.nulls.start += 1;
        }
        for (const r of report.running) {
          if (r.estimatedEndAt) samples.push({ jobKey: r.jobKey, kind: 'end', sampledAt: now, estimate: Date.parse(r.estimatedEndAt) });
          else state.nulls.end += 1;
        }
      }
      await new Promise((done) => setTimeout(done, Math.max(0, sampleEveryMs - (Date.now() - now))));
    }
  })();
  state.stop = async () => { going = false; await loop; return samples; };
  return state;
}

async function submitInOrder(scenario: Scenario, promptId: string, steps: number[]): Promise<Run[]> {
  const runs: Run[] = [];
  // One after another: the queue's order within a priority is the runs' submission (created_at).
  for (const num_steps of steps) runs.push((await startInference(scenario.deps, { promptId, params: { num_steps } })).run);
  return runs;
}

async function waitAll(scenario: Scenario, runs: Run[]): Promise<Run[]> {
  const ended = await Promise.all(runs.map((run) => waitForRun(scenario.deps, run.id)));
  const failed = ended.filter((r) => r.status !== 'completed');
  if (failed.length > 0) throw new Error(`${failed.length} run(s) did not complete, e.g. ${failed[0]!.id}: ${failed[0]!.status} ${failed[0]!.failureKind ?? ''} ${failed[0]!.errorMessage ?? ''}`);
  return ended;
}

/** One short run pinned to each host first, so the inputs are in each host's cache (not counted, but an estimate sample). */
async function warmUp(scenario: Scenario, promptId: string, steps: number): Promise<void> {
  const runs = [];
  for (const host of scenario.hosts) runs.push((await startInference(scenario.deps, { promptId, host: host.name, params: { num_steps: steps } })).run);
  await waitAll(scenario, runs);
}

// ---------------------------------------------------------------------------------------------------------------
// Figures.

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  return sorted[lo]! + (sorted[Math.min(lo + 1, sorted.length - 1)]! - sorted[lo]!) * (pos - lo);
}
const median = (values: number[]) => quantile(values, 0.5);

/** List scheduling in submission order: each job takes the slot that frees first. */
function greedyIdeal(durations: number[], slots: number): number {
  const free = Array.from({ length: slots }, () => 0);
  for (const d of durations) {
    const i = free.indexOf(Math.min(...free));
    free[i] = free[i]! + d;
  }
  return Math.max(...free);
}

/** Most containers running at once, and the time-weighted mean over [from, to]. */
function concurrency(measured: Measured[], from: number, to: number): { max: number; mean: number; fullShare: (n: number) => number } {
  const edges = measured.flatMap((m) => [{ at: m.start, d: 1 }, { at: m.finish, d: -1 }]).sort((a, b) => a.at - b.at || a.d - b.d);
  let running = 0;
  let max = 0;
  const spans: Array<{ from: number; to: number; n: number }> = [];
  let last = from;
  for (const e of edges) {
    const at = Math.min(Math.max(e.at, from), to);
    if (at > last) spans.push({ from: last, to: at, n: running });
    last = Math.max(last, at);
    running += e.d;
    max = Math.max(max, running);
  }
  if (to > last) spans.push({ from: last, to, n: running });
  const total = to - from;
  const weighted = spans.reduce((sum, s) => sum + s.n * (s.to - s.from), 0);
  return { max, mean: total > 0 ? weighted / total : 0, fullShare: (n) => spans.filter((s) => s.n >= n).reduce((sum, s) => sum + (s.to - s.from), 0) / total };
}

interface Gap { device: string; before: Measured; after: Measured; idle: number }
/** On each device, from one container's exit to the next container's start, when that next job was already queued. */
function slotGaps(measured: Measured[], leases: Map<string, LeaseEvents>): Gap[] {
  const byDevice = new Map<string, Measured[]>();
  for (const m of measured) for (const d of m.container.devices) {
    const key = `${m.host.name}/${d}`;
    byDevice.set(key, [...(byDevice.get(key) ?? []), m]);
  }
  const gaps: Gap[] = [];
  for (const [device, list] of byDevice) {
    list.sort((a, b) => a.start - b.start);
    for (let i = 1; i < list.length; i++) {
      const before = list[i - 1]!;
      const after = list[i]!;
      const queuedAt = leases.get(after.run.id)?.enqueue ?? after.run.createdAt.getTime();
      if (queuedAt <= before.finish) gaps.push({ device, before, after, idle: (after.start - before.finish) / 1000 });
    }
  }
  return gaps;
}

/** Where an idle slot's time goes, phase by phase (seconds): the exit of one container to the start of the next. */
const gapPhases = [
  'container exit → the follower\'s docker inspect begins on the host',
  '  that docker inspect on the host (simulator)',
  '  inspect ends → lease released',
  'release → next job leased (scheduling pass)',
  'leased → acquireGpuSlot completed',
  'acquireGpuSlot completed → uploadJobInputs started (workflow task)',
  'uploadJobInputs (inputs cached; the lease check, docker ps + nvidia-smi, beside the cache lookup)',
  'uploadJobInputs completed → runJobContainer started (workflow task)',
  'runJobContainer started → container_started_at recorded (lease and start checks in the database)',
  'container_started_at → docker run invoked on the host (SSH exec)',
  'docker run invoked → container started (simulated docker run + supervisor)',
];
/** Per run of the scenario: signals its workflow got (progress and queue position for the Web UI) and its workflow tasks. */
async function historyCounts(scenario: Scenario, measured: Measured[]): Promise<{ signals: number[]; workflowTasks: number[] }> {
  const out = { signals: [] as number[], workflowTasks: [] as number[] };
  for (const m of measured) {
    const { signals, workflowTasks } = await activityTimeline(scenario, m.run.id);
    out.signals.push(signals);
    out.workflowTasks.push(workflowTasks);
  }
  return out;
}

async function explainGaps(scenario: Scenario, gaps: Gap[], leases: Map<string, LeaseEvents>): Promise<number[][]> {
  const rows: number[][] = [];
  const inspects = new Map<string, HostCommand[]>();
  for (const host of scenario.hosts) {
    for (const c of readCommandLog(host)) if (c.what === 'docker inspect' && c.container) inspects.set(c.container, [...(inspects.get(c.container) ?? []), c]);
  }
  for (const gap of gaps) {
    const a = gap.after;
    const acts = (await activityTimeline(scenario, a.run.id)).activities;
    const acquire = acts.get('acquireGpuSlot');
    const upload = acts.get('uploadJobInputs');
    const container = acts.get('runJobContainer');
    const released = leases.get(gap.before.run.id)?.release;
    const leased = leases.get(a.run.id)?.lease;
    // The inspect that saw the exit: the first one to begin after it.
    const sawExit = (inspects.get(gap.before.container.name) ?? []).filter((c) => c.start >= gap.before.finish).sort((x, y) => x.start - y.start)[0];
    const points = [gap.before.finish, sawExit?.start, sawExit?.end, released, leased, acquire?.completed, upload?.started, upload?.completed, container?.started,
      a.run.containerStartedAt?.getTime(), a.dockerRunInvoked, a.start];
    if (points.some((p) => p === undefined || p === null)) continue;
    const at = points as number[];
    rows.push(at.slice(1).map((t, i) => (t - at[i]!) / 1000));
  }
  return rows;
}

interface EstimateErrors { start: number[]; end: number[]; startSigned: number[]; endSigned: number[]; skipped: number }
/** |estimate − actual| / (actual − sample time), and the signed (estimate − actual) / (actual − sample time): < 0 is too early. */
function estimateErrors(samples: EstimateSample[], measured: Measured[]): EstimateErrors {
  const byKey = new Map(measured.map((m) => [m.run.id, m]));
  const out: EstimateErrors = { start: [], end: [], startSigned: [], endSigned: [], skipped: 0 };
  for (const s of samples) {
    const m = byKey.get(s.jobKey);
    if (!m) { out.skipped += 1; continue; }
    const actual = s.kind === 'start' ? m.start : m.finish;
    const ahead = actual - s.sampledAt;
    // Only events at least 1 s after the sample: the relative error of something about to happen is noise.
    if (ahead < 1000) { out.skipped += 1; continue; }
    out[s.kind].push(Math.abs(s.estimate - actual) / ahead);
    out[s.kind === 'start' ? 'startSigned' : 'endSigned'].push((s.estimate - actual) / ahead);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Scenarios.

interface Cpu { busy: number }

/** Who used the machine's CPU: process trees sampled every 500 ms (own + reaped children's times, the last ≤ 0.5 s of a tree that ends is missed). */
const cpuGroups = ['worker', 'Temporal dev server', 'PostgreSQL', 'sshd + the host commands (simulated docker, nvidia-smi)', 'sftp-server (log reads, uploads)', 'simulated containers (supervisor, torchrun, fake model)', 'simulator command daemon (short docker / nvidia-smi reads, docker run -d)', 'this bench'] as const;
type CpuGroup = (typeof cpuGroups)[number];
function cpuByGroup(scenario: Scenario): { stop(): Map<CpuGroup | 'rest of the machine (other users too)', number> } {
  const machineBefore = machineCpuSeconds();
  const read = () => {
    const procs = new Map<number, { ppid: number; self: number; reaped: number; comm: string }>();
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const raw = readFileSync(`/proc/${name}/stat`, 'utf8');
        const comm = raw.slice(raw.indexOf('(') + 1, raw.lastIndexOf(')'));
        const f = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
        procs.set(Number(name), { ppid: Number(f[1]), self: (Number(f[11]) + Number(f[12])) / 100, reaped: (Number(f[13]) + Number(f[14])) / 100, comm });
      } catch { /* gone */ }
    }
    const children = new Map<number, number[]>();
    for (const [pid, p] of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), pid]);
    const roots = new Map<number, CpuGroup>();
    // A tree stops at another group's root (sftp-server under sshd). The daemon's children are the supervisors it
    // started, a group of their own: what it reaped of theirs is theirs, not its.
    const daemonGroup: CpuGroup = 'simulator command daemon (short docker / nvidia-smi reads, docker run -d)';
    const tree = (pid: number): number => (procs.get(pid)?.self ?? 0) + (roots.get(pid) === daemonGroup ? 0 : procs.get(pid)?.reaped ?? 0)
      + (children.get(pid) ?? []).filter((c) => !roots.has(c)).reduce((n, c) => n + tree(c), 0);
    roots.set(scenario.worker.pid!, 'worker');
    for (const pid of children.get(process.pid) ?? []) {
      if (pid === scenario.worker.pid) continue;
      const comm = procs.get(pid)!.comm;
      roots.set(pid, comm === 'sshd' ? 'sshd + the host commands (simulated docker, nvidia-smi)' : /postgres/.test(comm) ? 'PostgreSQL' : 'Temporal dev server');
    }
    for (const [pid, p] of procs) {
      if (roots.has(pid)) continue;
      if (p.comm === 'sftp-server') {
        // Only under our sshd: other sessions' test servers run on this machine too.
        let up = p.ppid;
        while (up > 1 && roots.get(up) !== 'sshd + the host commands (simulated docker, nvidia-smi)') up = procs.get(up)?.ppid ?? 0;
        if (up > 1) roots.set(pid, 'sftp-server (log reads, uploads)');
        continue;
      }
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        if (cmdline.includes('supervisor.js') && cmdline.includes(scenario.dir)) roots.set(pid, 'simulated containers (supervisor, torchrun, fake model)');
        // Its own session (setsid), so not under sshd's tree.
        if (cmdline.includes('daemon.js') && cmdline.includes(scenario.dir)) roots.set(pid, daemonGroup);
      } catch { /* gone */ }
    }
    return new Map([...roots].map(([pid, group]) => [pid, { group, seconds: tree(pid) }]));
  };
  const first = read();
  const last = new Map(first);
  const timer = setInterval(() => { for (const [pid, v] of read()) last.set(pid, v); }, 500);
  const selfBefore = process.cpuUsage();
  return {
    stop() {
      clearInterval(timer);
      for (const [pid, v] of read()) last.set(pid, v);
      const self = process.cpuUsage(selfBefore);
      const out = new Map<CpuGroup | 'rest of the machine (other users too)', number>(cpuGroups.map((g) => [g, 0]));
      for (const [pid, v] of last) out.set(v.group, out.get(v.group)! + v.seconds - (first.get(pid)?.seconds ?? 0));
      out.set('this bench', (self.user + self.system) / 1e6);
      const ours = [...out.values()].reduce((a, b) => a + b, 0);
      out.set('rest of the machine (other users too)', machineCpuSeconds() - machineBefore - ours);
      return out;
    },
  };
}
function cpuMeter(): () => Cpu {
  const before = machineCpuSeconds();
  const started = Date.now();
  return () => ({ busy: (machineCpuSeconds() - before) / ((Date.now() - started) / 1000) / 2 });
}

/** What both scenarios report: estimates, idle gaps and their phases, host commands, SSH round trips, CPU. */
interface Common {
  startupShare: number; startup: number; dockerRun: number; cpu: number; requeues: number;
  estimates: EstimateErrors; gaps: Gap[]; phases: number[][]; reports: number; nulls: { start: number; end: number };
  history: { signals: number[]; workflowTasks: number[] };
  /** What the estimator takes as a run's duration (container_started_at → its first `downloading` event), over the container's own time. */
  learnedOverActual: number[];
  /** Host-side seconds of each kind of command during the measured runs, and how many per run. */
  commands: Map<string, { seconds: number[]; cpu: number[]; perRun: number }>;
  sshRoundTrip: number[];
  sshIdle: number[];
  /** CPU seconds per group over the measured runs, and the wall seconds they took. */
  cpuGroups: Map<string, number>; wallSeconds: number;
  /** Per measured run: remote commands and SFTP file operations. */
  opsPerRun: { commands: number; sftp: number };
}

interface Probes { sshIdle: number[]; ops: { commands: number; sftp: number }; cpu: () => Cpu; groups: ReturnType<typeof cpuByGroup>; sampler: ReturnType<typeof sampleQueue>; ssh: ReturnType<typeof probeSsh>; from: number }
async function startProbes(scenario: Scenario): Promise<Probes> {
  const idle = await sshIdle(scenario, 5);
  return { sshIdle: idle, ops: countHostOperations(scenario), cpu: cpuMeter(), groups: cpuByGroup(scenario), sampler: sampleQueue(scenario), ssh: probeSsh(scenario), from: Date.now() };
}

/** The sshd tree's CPU split into the simulated CLIs (their own `times`) and the rest (sshd, sftp-server, shells). */
function splitHostCommands(groups: Map<string, number>, commands: Common['commands']): Map<string, number> {
  const cli = [...commands.values()].reduce((n, c) => n + c.cpu.reduce((a, b) => a + b, 0), 0);
  const out = new Map<string, number>();
  for (const [group, seconds] of groups) {
    if (group !== 'sshd + the host commands (simulated docker, nvidia-smi)') { out.set(group, seconds); continue; }
    out.set('sshd, sftp-server, shells (the tree minus its commands; sampled, ±1 CPU-s)', seconds - cli);
    out.set('simulated docker / nvidia-smi commands (node)', cli);
  }
  return out;
}

async function commonFigures(scenario: Scenario, probes: Probes, measured: Measured[]): Promise<{ common: Common; leases: Map<string, LeaseEvents> }> {
  const groups = probes.groups.stop();
  const cpu = probes.cpu().busy;
  const to = Date.now();
  const ops = countHostOperations(scenario);
  const samples = await probes.sampler.stop();
  const sshRoundTrip = await probes.ssh.stop();
  const leases = await readLeaseLog(scenario.sql);
  const gaps = slotGaps(measured, leases);
  const commands = new Map<string, { seconds: number[]; cpu: number[]; perRun: number }>();
  for (const c of scenario.hosts.flatMap(readCommandLog).filter((c) => c.start >= probes.from && c.start <= to)) {
    const entry = commands.get(c.what) ?? { seconds: [], cpu: [], perRun: 0 };
    entry.seconds.push((c.end - c.start) / 1000);
    entry.cpu.push(c.cpu);
    commands.set(c.what, entry);
  }
  for (const entry of commands.values()) entry.perRun = entry.seconds.length / measured.length;
  const withLog = measured.filter((m) => m.firstLog !== null);
  const learned = await scenario.sql<{ id: string; seconds: number | null }[]>`
    select r.id, extract(epoch from (select min(e.at) from run_events e where e.run_id = r.id and e.stage = 'downloading' and e.at >= r.container_started_at) - r.container_started_at)::float8 as seconds
    from runs r where r.id in ${scenario.sql(measured.map((m) => m.run.id))}`;
  const actual = new Map(measured.map((m) => [m.run.id, m.seconds]));
  const learnedOverActual = learned.filter((l) => l.seconds !== null).map((l) => l.seconds! / actual.get(l.id)!);
  return {
    leases,
    common: {
      startup: median(withLog.map((m) => (m.firstLog! - m.start) / 1000)),
      startupShare: median(withLog.map((m) => (m.firstLog! - m.start) / (m.finish - m.start))),
      dockerRun: median(measured.filter((m) => m.dockerRunInvoked !== null).map((m) => (m.start - m.dockerRunInvoked!) / 1000)),
      cpu, requeues: [...leases.values()].reduce((n, l) => n + l.requeues, 0),
      estimates: estimateErrors(samples, measured), gaps, phases: await explainGaps(scenario, gaps, leases), history: await historyCounts(scenario, measured), learnedOverActual,
      reports: probes.sampler.reports, nulls: probes.sampler.nulls, commands, sshRoundTrip, sshIdle: probes.sshIdle, cpuGroups: splitHostCommands(groups, commands), wallSeconds: (to - probes.from) / 1000,
      opsPerRun: { commands: (ops.commands - probes.ops.commands) / measured.length, sftp: (ops.sftp - probes.ops.sftp) / measured.length },
    },
  };
}

interface MixedResult extends Common {
  makespan: number; ideal: number; ratio: number; shortSeconds: number; longSeconds: number; submitSpan: number; firstStart: number;
  longPerHost: string; busyPerHost: string;
}

async function mixedScenario(round: number): Promise<MixedResult> {
  const scenario = await startScenario(`mix${round}`, [2, 2]);
  try {
    const prompt = (await createPrompt(scenario.db, { text: 'bench: a quiet street at dawn', videoDir: join(root, 'samples', 'demo') }, { negativePrompt: 'n' })).prompt;
    await warmUp(scenario, prompt.id, mixedSteps.short);
    const steps = Array.from({ length: mixedRuns }, (_, i) => (i % 2 === 0 ? mixedSteps.short : mixedSteps.long));
    const probes = await startProbes(scenario);
    const t0 = Date.now();
    const runs = await submitInOrder(scenario, prompt.id, steps);
    const submitSpan = (Date.now() - t0) / 1000;
    const ended = await waitAll(scenario, runs);
    const measured = await measureRuns(scenario, ended);
    const { common } = await commonFigures(scenario, probes, measured);
    const makespan = (Math.max(...measured.map((m) => m.finish)) - t0) / 1000;
    const ideal = greedyIdeal(measured.map((m) => m.seconds), scenario.hosts.reduce((n, h) => n + h.gpus, 0));
    const longs = measured.filter((_, i) => steps[i] === mixedSteps.long);
    const window = { from: t0, to: Math.max(...measured.map((m) => m.finish)) };
    return {
      ...common, makespan, ideal, ratio: makespan / ideal, submitSpan, firstStart: (Math.min(...measured.map((m) => m.start)) - t0) / 1000,
      shortSeconds: median(measured.filter((_, i) => steps[i] === mixedSteps.short).map((m) => m.seconds)), longSeconds: median(longs.map((m) => m.seconds)),
      longPerHost: scenario.hosts.map((h) => longs.filter((m) => m.host === h).length).join(' / '),
      busyPerHost: scenario.hosts.map((h) => {
        const busy = measured.filter((m) => m.host === h).reduce((sum, m) => sum + (m.finish - m.start), 0);
        return `${Math.round((100 * busy) / (h.gpus * (window.to - window.from)))} %`;
      }).join(' / '),
    };
  } finally {
    await scenario.stop();
  }
}

interface BurstResult extends Common {
  wall: number; lastExit: number; maxAtOnce: number; meanAtOnce: number; fullShare: number; idle: number[]; containerSeconds: number; submitSpan: number;
}

async function burstScenario(round: number): Promise<BurstResult> {
  const scenario = await startScenario(`burst${round}`, [8]);
  try {
    const gpus = scenario.hosts[0]!.gpus;
    const prompt = (await createPrompt(scenario.db, { text: 'bench: a quiet street at dawn', videoDir: join(root, 'samples', 'demo') }, { negativePrompt: 'n' })).prompt;
    await warmUp(scenario, prompt.id, burstSteps);
    const probes = await startProbes(scenario);
    const t0 = Date.now();
    const runs = await submitInOrder(scenario, prompt.id, Array.from({ length: burstRuns }, () => burstSteps));
    const submitSpan = (Date.now() - t0) / 1000;
    const ended = await waitAll(scenario, runs);
    const wall = (Date.now() - t0) / 1000;
    const measured = await measureRuns(scenario, ended);
    const { common } = await commonFigures(scenario, probes, measured);
    // Work waits until the last container starts.
    const lastStart = Math.max(...measured.map((m) => m.start));
    const firstStart = Math.min(...measured.map((m) => m.start));
    const busy = concurrency(measured, firstStart, lastStart);
    return {
      ...common, wall, lastExit: (Math.max(...measured.map((m) => m.finish)) - t0) / 1000, submitSpan,
      maxAtOnce: concurrency(measured, firstStart, Math.max(...measured.map((m) => m.finish))).max, meanAtOnce: busy.mean, fullShare: busy.fullShare(gpus),
      idle: common.gaps.map((g) => g.idle), containerSeconds: median(measured.map((m) => m.seconds)),
    };
  } finally {
    await scenario.stop();
  }
}

// ---------------------------------------------------------------------------------------------------------------

const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : '–');
/** One figure over the rounds: the value, or min / median / max. */
const over = (values: number[], digits = 2) => (values.length === 1 ? fmt(values[0]!, digits) : `${fmt(Math.min(...values), digits)} / ${fmt(median(values), digits)} / ${fmt(Math.max(...values), digits)}`);
const pct = (n: number) => `${Math.round(n * 100)} %`;

console.log(`scheduler bench: ${rounds} round(s); simulator ${JSON.stringify(sim)}; load average before ${loadavg().map((l) => l.toFixed(1)).join(' ')} on 2 cores`);
const mixed: MixedResult[] = [];
const burst: BurstResult[] = [];
for (let round = 1; round <= rounds; round++) {
  if (only.has('mixed')) {
    console.log(`round ${round}: mixed, ${mixedRuns} alternating short (${mixedSteps.short} steps) / long (${mixedSteps.long} steps) runs on 2 hosts × 2 GPUs …`);
    mixed.push(await mixedScenario(round));
  }
  if (only.has('burst')) {
    console.log(`round ${round}: burst, ${burstRuns} short runs (${burstSteps} steps) on one 8-GPU host …`);
    burst.push(await burstScenario(round));
  }
}

const rows: string[][] = [];
const row = (figure: string, measured: string, target = '', before = '') => rows.push([figure, measured, target, before]);
if (mixed.length > 0) {
  row(`mixed: container time short / long, median (s)`, `${over(mixed.map((m) => m.shortSeconds), 1)}  /  ${over(mixed.map((m) => m.longSeconds), 1)}`);
  row('mixed: makespan, first submit → last exit (s)', over(mixed.map((m) => m.makespan), 1));
  row('mixed: greedy ideal of the measured containers (s)', over(mixed.map((m) => m.ideal), 1));
  row('mixed: makespan / greedy ideal', over(mixed.map((m) => m.ratio)), '≤ 1.15', '2.0');
  row('mixed: submitting the runs (s)', over(mixed.map((m) => m.submitSpan), 1));
  row('mixed: first submit → first container start (s)', over(mixed.map((m) => m.firstStart)));
  row('mixed: long runs per host', mixed.map((m) => m.longPerHost).join(', '), '', `${mixedRuns / 2} / 0`);
  row('mixed: GPU busy per host over the makespan', mixed.map((m) => m.busyPerHost).join(', '), '', 'one host idle 73–76 %');
  row('mixed: slot idle between jobs, median / p90 (s)', mixed.map((m) => `${fmt(median(m.gaps.map((g) => g.idle)))} / ${fmt(quantile(m.gaps.map((g) => g.idle), 0.9))}`).join(', '));
}
if (burst.length > 0) {
  row('burst: container time, median (s)', over(burst.map((b) => b.containerSeconds)));
  row('burst: most containers at once', over(burst.map((b) => b.maxAtOnce), 0), '8', '5');
  row('burst: mean containers running while work waits', over(burst.map((b) => b.meanAtOnce), 1), '8');
  row('burst: share of that time with all 8 busy', burst.map((b) => pct(b.fullShare)).join(', '));
  row('burst: slot idle, median (s)', over(burst.map((b) => median(b.idle))), '≤ 0.5');
  row('burst: slot idle, p90 (s)', over(burst.map((b) => quantile(b.idle, 0.9))));
  row('burst: slot idle, min / max (s)', burst.map((b) => `${fmt(Math.min(...b.idle))} / ${fmt(Math.max(...b.idle))}`).join(', '));
  row('burst: idle gaps measured', burst.map((b) => String(b.idle.length)).join(', '));
  row('burst: leases given back by the lease check', burst.map((b) => String(b.requeues)).join(', '));
  row('burst: submitting the runs (s)', over(burst.map((b) => b.submitSpan), 1));
  row('burst: first submit → last container exit (s)', over(burst.map((b) => b.lastExit), 1));
  row('burst: total wall, first submit → all completed (s)', over(burst.map((b) => b.wall), 1));
}
for (const [label, results] of [['mixed', mixed], ['burst', burst]] as const) {
  if (results.length === 0) continue;
  const start = results.flatMap((r) => r.estimates.start);
  const end = results.flatMap((r) => r.estimates.end);
  row(`estimate (${label}): waiting job's start, median / p90 relative error`, `${pct(median(start))} / ${pct(quantile(start, 0.9))}  (n=${start.length})`);
  row(`estimate (${label}): running job's end, median / p90 relative error`, `${pct(median(end))} / ${pct(quantile(end, 0.9))}  (n=${end.length})`);
  row(`estimate (${label}): median signed error start / end (< 0: too early)`,
    `${pct(median(results.flatMap((r) => r.estimates.startSigned)))} / ${pct(median(results.flatMap((r) => r.estimates.endSigned)))}`);
  row(`estimate (${label}): duration it learns (container_started_at → 'downloading') / container time, median`,
    `${fmt(median(results.flatMap((r) => r.learnedOverActual)))}×`);
  row(`estimate (${label}): reports sampled; entries without an estimate (start / end)`,
    `${results.reduce((n, r) => n + r.reports, 0)}; ${results.reduce((n, r) => n + r.nulls.start, 0)} / ${results.reduce((n, r) => n + r.nulls.end, 0)}`);
}
for (const [label, results] of [['mixed', mixed], ['burst', burst]] as const) {
  if (results.length === 0) continue;
  row(`simulator (${label}): docker run invoked → container started, median (s)`, over(results.map((r) => r.dockerRun)));
  row(`simulator (${label}): container start → first log line, share of container time`, results.map((r) => pct(r.startupShare)).join(', '));
  row(`machine (${label}): CPU busy, both cores`, results.map((r) => pct(r.cpu)).join(', '));
  row(`temporal (${label}): signals to a run's workflow, median / max (queue position + progress)`,
    `${fmt(median(results.flatMap((r) => r.history.signals)), 0)} / ${fmt(Math.max(...results.flatMap((r) => r.history.signals)), 0)}`);
  row(`temporal (${label}): workflow tasks per run, median / total`,
    `${fmt(median(results.flatMap((r) => r.history.workflowTasks)), 0)} / ${fmt(results.flatMap((r) => r.history.workflowTasks).reduce((a, b) => a + b, 0), 0)}`);
  row(`machine (${label}): SSH sessions opened (login shells) / SFTP file operations per run`,
    `${fmt(median(results.map((r) => r.opsPerRun.commands)), 1)} / ${fmt(median(results.map((r) => r.opsPerRun.sftp)), 1)}`);
  const ssh = results.flatMap((r) => r.sshRoundTrip);
  const idle = results.flatMap((r) => r.sshIdle);
  row(`machine (${label}): SSH \`true\` round trip before the runs / during them, median (s)`, `${fmt(median(idle))} / ${fmt(median(ssh))}  (n=${idle.length} / ${ssh.length})`);
}
console.log(`\nGPU scheduler (issue 13); measured in this run${rounds > 1 ? `, min / median / max over ${rounds} rounds` : ''}`);
printTable(['figure', 'measured', 'target', 'before (issue 13)'], rows);

for (const [label, results] of [['mixed', mixed], ['burst', burst]] as const) {
  const phases = results.flatMap((r) => r.phases);
  if (phases.length === 0) continue;
  const total = phases.map((p) => p.reduce((a, b) => a + b, 0));
  console.log(`\nwhere an idle slot's time goes (${label}: ${phases.length} gaps with every timestamp; seconds)`);
  printTable(['phase', 'median', 'p90', 'max'], [
    ...gapPhases.map((name, i) => [name, fmt(median(phases.map((p) => p[i]!))), fmt(quantile(phases.map((p) => p[i]!), 0.9)), fmt(Math.max(...phases.map((p) => p[i]!)))]),
    ['total: exit → next start', fmt(median(total)), fmt(quantile(total, 0.9)), fmt(Math.max(...total))],
  ]);
}
for (const [label, results] of [['mixed', mixed], ['burst', burst]] as const) {
  if (results.length === 0) continue;
  const kinds = [...new Set(results.flatMap((r) => [...r.commands.keys()]))].sort();
  console.log(`\nremote commands as the host ran them (${label}; a logging shim around the simulator's docker and nvidia-smi; seconds on the host)`);
  printTable(['command', 'per run', 'wall median', 'wall p90', 'wall max', 'CPU median'], kinds.map((kind) => {
    const seconds = results.flatMap((r) => r.commands.get(kind)?.seconds ?? []);
    const cpu = results.flatMap((r) => r.commands.get(kind)?.cpu ?? []);
    return [kind, fmt(median(results.map((r) => r.commands.get(kind)?.perRun ?? 0))), fmt(median(seconds)), fmt(quantile(seconds, 0.9)), fmt(Math.max(...seconds)), fmt(median(cpu))];
  }));
}
for (const [label, results] of [['mixed', mixed], ['burst', burst]] as const) {
  if (results.length === 0) continue;
  const wall = results.reduce((n, r) => n + r.wallSeconds, 0);
  const runs = label === 'mixed' ? mixedRuns : burstRuns;
  console.log(`\nwhere the CPU went (${label}: ${fmt(wall, 0)} s wall × 2 cores = ${fmt(wall * 2, 0)} CPU-s available)`);
  printTable(['process tree', 'CPU-s', 'share of both cores', 'CPU-s per run'], [...results[0]!.cpuGroups.keys()].map((group) => {
    const seconds = results.reduce((n, r) => n + (r.cpuGroups.get(group) ?? 0), 0);
    return [group, fmt(seconds, 1), pct(seconds / (wall * 2)), fmt(seconds / (runs * results.length))];
  }));
}
if (burst.length > 0) {
  const startup = median(burst.map((b) => b.startup));
  const container = median(burst.map((b) => b.containerSeconds));
  const dockerRun = median(burst.map((b) => b.dockerRun));
  const idle = median(burst.flatMap((b) => b.idle));
  console.log(`\nsimulator start-up: ${fmt(dockerRun)} s of the ${fmt(idle)} s median idle slot is the simulated \`docker run\`, and ${fmt(startup)} s of each ${fmt(container)} s container`
    + ` is its fake model starting (node processes) before its first log line${dockerRun > idle / 2 ? ': the simulator dominates the idle time' : ''}.`);
}
const shell = shellStartup();
console.log(`\nthe SSH user's shell (${shell.shell}) per SSH session (the transport opens a few and runs its commands in them), started as sshd starts it (reads ~/.bashrc): ${fmt(shell.sshd.wall)} s wall, ${fmt(shell.sshd.cpu)} CPU-s;`
  + ` the same shell without it: ${fmt(shell.plain.wall)} s, ${fmt(shell.plain.cpu)} CPU-s (measured now, after the runs; load ${loadavg()[0]!.toFixed(1)}).`);
console.log(`load average after: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
