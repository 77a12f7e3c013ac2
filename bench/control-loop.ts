/**
 * What the orchestrator costs around a GPU job, on the real stack: embedded Temporal + PostgreSQL, the worker as
 * its own process (`node dist/src/worker.js`, default settings), a real sshd in front of the simulator.
 *
 *   npm run build && npx tsx bench/control-loop.ts [--singles 5] [--burst 200] [--gpus 8]
 *
 * 1. Single short jobs one after another, cold (new inputs to upload) and warm (inputs already on the host):
 *    orchestration overhead = end to end (run created → completed) minus the container's own run time.
 * 2. A burst of short runs on one host with `--gpus` simulated GPUs: wall time, and per run: worker CPU,
 *    SSH sessions and SFTP operations (from sshd's own log), docker / nvidia-smi commands (a shim on the host),
 *    database transactions (pg_stat_database).
 *    CPU is split between the orchestrator (worker, Temporal, PostgreSQL) and the GPU-host side (sshd and the
 *    simulator: everything else on the machine, so run it on an otherwise idle machine).
 */
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { startInference, waitForRun, workflowIdForRun } from '../src/client/runs.js';
import { connectTemporal } from '../src/client/temporal.js';
import { seedCheckpoints } from '../src/gpu/doctor/seed-checkpoints.js';
import { loadConfig } from '../src/config.js';
import { createPrompt } from '../src/core/create-prompt.js';
import { createDb } from '../src/db/client.js';
import { startEmbeddedStack } from '../src/services/embedded-stack.js';
import { installSimulator, listSimContainers } from '../simulator/install.js';
import { makeUniqueInputs } from '../tests/helpers/unique-inputs.js';
import { startSshd } from '../tests/helpers/sshd.js';
import { childPidsOf, commandOf, machineCpuSeconds, ownCpuSeconds, treeCpuSeconds } from './process-cpu.js';
import { printTable } from './print-table.js';
import { summarize } from './timing.js';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { singles: { type: 'string', default: '5' }, burst: { type: 'string', default: '200' }, gpus: { type: 'string', default: '8' } } });
const singles = Number(values.singles);
const burst = Number(values.burst);
const gpus = Number(values.gpus);
// One 1.5 s container: 60 s of model load and one 90 s chunk at a time scale of 0.01.
const sim = { gpus, timeScale: 0.01, modelLoadSeconds: 60, secondsPerChunk: 90 };

const dir = await mkdtemp(join(tmpdir(), 'cosmos-bench-loop-'));
await chmod(dir, 0o755);
const sshdLog = join(dir, 'sshd.log');
const sshd = await startSshd({ dir: join(dir, 'sshd'), logFile: sshdLog, verbose: true });
const installed = await installSimulator(join(dir, 'sim'), sim);
// The host's docker and nvidia-smi behind a shim that adds a line per invocation: the commands the host runs (the
// transport sends them through a few long-lived shells, so sshd's log counts sessions, not commands).
const commandLog = join(dir, 'host-commands.log');
const shimmed = { docker: join(dir, 'shim', 'docker'), nvidiaSmi: join(dir, 'shim', 'nvidia-smi') };
await mkdir(join(dir, 'shim'), { recursive: true });
for (const [shim, real, tool] of [[shimmed.docker, installed.dockerBin, 'docker'], [shimmed.nvidiaSmi, installed.nvidiaSmiBin, 'nvidia-smi']] as const) {
  await writeFile(shim, `#!/bin/sh\necho "${tool} $1" >> '${commandLog}'\nexec '${real}' "$@"\n`);
  await chmod(shim, 0o755);
}
await writeFile(join(dir, 'cosmos.toml'), [
  `data_dir = "${join(dir, 'data')}"`,
  '[[hosts]]', 'name = "bench"', 'transport = "ssh"', `host = "${sshd.host}"`, `port = ${sshd.port}`, `user = "${sshd.user}"`,
  `key_path = "${sshd.privateKeyPath}"`, `host_key_fingerprint = "${sshd.hostKeyFingerprint}"`,
  `remote_dir = "${join(dir, 'gpu-host')}"`, `docker = "${shimmed.docker}"`, `nvidia_smi = "${shimmed.nvidiaSmi}"`,
  `gpus = [${Array.from({ length: gpus }, (_, i) => i).join(', ')}]`, '',
].join('\n'));
const config = loadConfig({ COSMOS_CONFIG: join(dir, 'cosmos.toml') }, dir);
for (const host of config.hosts) await seedCheckpoints(host);
const stack = await startEmbeddedStack(config);
// BENCH_WORKER_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) profiles the worker alone.
const workerNodeArgs = (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean);
const worker = spawn(process.execPath, [...workerNodeArgs, join(root, 'dist', 'src', 'worker.js')], {
  env: { ...process.env, COSMOS_CONFIG: join(dir, 'cosmos.toml'), DATABASE_URL: stack.databaseUrl, TEMPORAL_ADDRESS: stack.temporalAddress, COSMOS_LOG_LEVEL: 'ERROR' },
  stdio: ['ignore', 'ignore', 'inherit'],
});
const { db, close } = createDb(stack.databaseUrl);
const sql = postgres(stack.databaseUrl, { max: 1 });
const temporal = await connectTemporal({ address: stack.temporalAddress, namespace: 'default' });
const deps = { db, temporal: temporal.client, config };
// The bench's own children are Temporal, PostgreSQL, the worker and sshd; sshd (and the simulator under it) is the host side.
const orchestratorPids = () => childPidsOf(process.pid).filter((pid) => !commandOf(pid).startsWith('sshd'));

/** Each event of the run's workflow history, in ms since the workflow started (BENCH_TIMELINE=1). */
async function printTimeline(runId: string): Promise<void> {
  const history = await temporal.client.workflow.getHandle(workflowIdForRun(runId)).fetchHistory();
  const events = history.events ?? [];
  const t0 = Number(events[0]?.eventTime?.seconds ?? 0) * 1000 + (events[0]?.eventTime?.nanos ?? 0) / 1e6;
  for (const event of events) {
    const t = Number(event.eventTime?.seconds ?? 0) * 1000 + (event.eventTime?.nanos ?? 0) / 1e6;
    const type = event.activityTaskScheduledEventAttributes?.activityType?.name ?? '';
    console.log(`${(t - t0).toFixed(0).padStart(6)} ms  ${String(event.eventType)} ${type}`);
  }
}

interface Timed { runId: string; overhead: number; endToEnd: number; container: number; phases: number[] }
/** created → started (workflow picked it up) → start recorded (inputs staged) → container running → exited → completed. */
const phaseNames = ['submit → workflow', 'staging inputs', 'docker run', 'container', 'exit → completed'];
async function runOnce(promptId: string): Promise<Timed> {
  const { run } = await startInference(deps, { promptId });
  const done = await waitForRun(deps, run.id);
  if (done.status !== 'completed') throw new Error(`run ${run.id} ended ${done.status}: ${done.errorMessage}`);
  const container = (await listSimContainers(installed.home)).find((c) => c.name.includes(run.id));
  if (!container) throw new Error(`no container for ${run.id}`);
  const containerSeconds = (Date.parse(container.finishedAt) - Date.parse(container.startedAt)) / 1000;
  const endToEnd = (done.completedAt!.getTime() - done.createdAt.getTime()) / 1000;
  const at = [done.createdAt.getTime(), done.startedAt!.getTime(), done.containerStartedAt!.getTime(),
    Date.parse(container.startedAt), Date.parse(container.finishedAt), done.completedAt!.getTime()];
  const phases = at.slice(1).map((t, i) => (t - at[i]!) / 1000);
  return { runId: run.id, endToEnd, container: containerSeconds, overhead: endToEnd - containerSeconds, phases };
}

async function countHostOperations(): Promise<{ sessions: number; commands: number; sftp: number }> {
  const log = await readFile(sshdLog, 'utf8').catch(() => '');
  const sftpLog = await readFile(join(dir, 'sshd', 'sftp.log'), 'utf8').catch(() => '');
  return {
    sessions: (log.match(/Starting session: command for/g) ?? []).length,
    commands: (await readFile(commandLog, 'utf8').catch(() => '')).split('\n').filter(Boolean).length,
    // sftp-server at VERBOSE logs one line per file operation (open, close, stat, rename, …), none per read or write.
    sftp: sftpLog.split('\n').filter((line) => line && !/^(sent status|session (opened|closed)|received client version)/.test(line)).length,
  };
}

async function databaseTransactions(): Promise<number> {
  // Statistics are flushed when a backend goes idle for a while; give it time, then read.
  await new Promise((done) => setTimeout(done, 1500));
  const [row] = await sql`select xact_commit + xact_rollback as n from pg_stat_database where datname = current_database()`;
  return Number(row!.n);
}

try {
  const rows: string[][] = [];
  const demo = join(root, 'samples', 'demo');
  const warmPrompt = (await createPrompt(db, { text: 'bench: a quiet street at dawn', videoDir: demo }, { negativePrompt: 'n' })).prompt;
  await runOnce(warmPrompt.id);
  const cold: Timed[] = [];
  const warm: Timed[] = [];
  for (let i = 0; i < singles; i += 1) {
    const inputs = await makeUniqueInputs(dir);
    const fresh = (await createPrompt(db, { text: `bench cold ${i}: a quiet street`, videoDir: inputs }, { negativePrompt: 'n' })).prompt;
    cold.push(await runOnce(fresh.id));
    warm.push(await runOnce(warmPrompt.id));
  }
  if (process.env.BENCH_TIMELINE) await printTimeline(warm.at(-1)!.runId);
  if (singles > 0) {
    for (const [label, samples] of [['single job, cold (inputs uploaded)', cold], ['single job, warm (inputs cached)', warm]] as const) {
      const overhead = summarize(samples.map((s) => s.overhead));
      const container = summarize(samples.map((s) => s.container));
      rows.push([label, `${overhead.min.toFixed(2)} / ${overhead.median.toFixed(2)} / ${overhead.max.toFixed(2)}`, container.median.toFixed(2)]);
    }
    console.log(`\n${singles} cold and ${singles} warm single runs, interleaved; seconds min / median / max`);
    printTable(['what', 'overhead (s)', 'container (s)'], rows);
    console.log('\nwhere a single run spends its time (median seconds)');
    printTable(['phase', 'cold', 'warm'], phaseNames.map((name, i) => [name,
      summarize(cold.map((s) => s.phases[i]!)).median.toFixed(3), summarize(warm.map((s) => s.phases[i]!)).median.toFixed(3)]));
  }

  const opsBefore = await countHostOperations();
  const xactBefore = await databaseTransactions();
  const workerBefore = treeCpuSeconds(worker.pid!);
  const workerOwnBefore = ownCpuSeconds(worker.pid!);
  const orchestratorBefore = orchestratorPids().reduce((sum, pid) => sum + treeCpuSeconds(pid), 0);
  const machineBefore = machineCpuSeconds();
  const selfBefore = process.cpuUsage();
  const started = Date.now();
  const submitted = await Promise.all(Array.from({ length: burst }, () => startInference(deps, { promptId: warmPrompt.id })));
  const ended = await Promise.all(submitted.map(({ run }) => waitForRun(deps, run.id)));
  const wall = (Date.now() - started) / 1000;
  const failed = ended.filter((run) => run.status !== 'completed');
  const self = process.cpuUsage(selfBefore);
  const machine = machineCpuSeconds() - machineBefore;
  const workerCpu = treeCpuSeconds(worker.pid!) - workerBefore;
  const workerOwn = ownCpuSeconds(worker.pid!) - workerOwnBefore;
  const orchestrator = orchestratorPids().reduce((sum, pid) => sum + treeCpuSeconds(pid), 0) - orchestratorBefore;
  const benchSelf = (self.user + self.system) / 1e6;
  const ops = await countHostOperations();
  const xacts = await databaseTransactions() - xactBefore;
  const per = (n: number) => (n / burst).toFixed(n / burst < 10 ? 3 : 1);
  console.log(`\n${burst} short runs on one host with ${gpus} simulated GPUs: ${wall.toFixed(1)} s wall, ${failed.length} not completed`);
  printTable(['per run', 'value'], [
    ['worker CPU, the worker process itself (s)', per(workerOwn)],
    ['worker CPU with its children (ffmpeg posters) (s)', per(workerCpu)],
    ['orchestrator CPU: worker + Temporal + PostgreSQL (s)', per(orchestrator)],
    ['GPU-host side CPU: sshd + simulator, rest of machine (s)', per(machine - orchestrator - benchSelf)],
    ['benchmark client CPU (s)', per(benchSelf)],
    ['SSH sessions opened (each a login shell)', per(ops.sessions - opsBefore.sessions)],
    ['docker / nvidia-smi commands on the host', per(ops.commands - opsBefore.commands)],
    ['SFTP operations (open/stat/rename/…)', per(ops.sftp - opsBefore.sftp)],
    ['database transactions', per(xacts)],
  ]);
} finally {
  worker.kill('SIGTERM');
  await new Promise((done) => worker.once('exit', done));
  await temporal.close();
  await sql.end();
  await close();
  await stack.stop();
  await sshd.stop();
  if (!process.env.KEEP_BENCH_DIR) await rm(dir, { recursive: true, force: true });
  else console.log(`kept ${dir}`);
}
