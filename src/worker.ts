import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createActivities, type GpuHost } from './activities/index.js';
import { connectTemporal } from './client/temporal.js';
import { loadConfig, simulatorHome, type Config, type GpuHostConfig } from './config.js';
import { readDurationMs } from './config-values.js';
import { createDb } from './db/client.js';
import { recordHostReadiness } from './db/queries/gpu-queue.js';
import { logHostReadiness, schedulingBlocks } from './gpu/doctor/readiness.js';
import { openHostTransport } from './gpu/open-transport.js';
import { resolveEndpoints, type StackEndpoints } from './services/endpoints.js';
import { installSimulator, stopSimDaemon } from '../simulator/install.js';
import { seedCheckpoints } from './gpu/doctor/seed-checkpoints.js';
import { gpuTaskQueue, hostIoTaskQueue, runProgressSignalName } from './workflows/types.js';

export interface WorkerHandle {
  /** Resolves when every worker has stopped (after a signal or `shutdown()`). */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

/** Wires the db, the GPU-host transports and Temporal together: one orchestration worker plus one per GPU host. */
export async function startWorker(config: Config, endpoints: Pick<StackEndpoints, 'databaseUrl' | 'temporalAddress'>,
  options: { log?: (line: string) => void } = {}): Promise<WorkerHandle> {
  if (config.simulatedHost) await ensureSimulator(config);
  const { db, close: closeDb } = createDb(endpoints.databaseUrl);
  const hosts = new Map<string, GpuHost>(await Promise.all(
    config.hosts.map(async (host) => [host.name, { config: host, transport: await openHostTransport(host) }] as const)));
  const connection = await NativeConnection.connect({ address: endpoints.temporalAddress });
  const namespace = config.temporal.namespace;
  const signaller = await connectTemporal({ address: endpoints.temporalAddress, namespace });
  const activities = createActivities({
    db, hosts, dataDir: config.dataDir,
    pollIntervalMs: parseDurationMs(config.temporal.poll_interval),
    hangTimeoutMs: parseDurationMs(config.temporal.hang_timeout),
    hostOutageMs: parseDurationMs(config.temporal.host_outage_timeout),
    readinessEveryMs: parseDurationMs(config.temporal.readiness_interval),
    hostMoveAfterMs: parseDurationMs(config.temporal.host_move_after),
    reportProgress: (workflowId, update) => signaller.client.workflow.getHandle(workflowId).signal(runProgressSignalName, update),
  });

  const workers = [
    await Worker.create({
      connection, namespace, taskQueue: config.temporal.task_queue, workflowsPath: findWorkflowsPath(), activities,
      // Jobs waiting in the GPU queue each hold one of these while they wait (a sleeping promise, no CPU).
      maxConcurrentActivityTaskExecutions: 2_000,
      shutdownGraceTime: '5s',
    }),
    ...await Promise.all(config.hosts.flatMap((host) => [
      Worker.create({
        connection, namespace, taskQueue: gpuTaskQueue(host.name), activities,
        identity: `cosmos-gpu-worker/${host.name}@${process.pid}`,
        // The GPU slots of this host: at most this many containers run at once.
        maxConcurrentActivityTaskExecutions: gpuSlots(host),
        // A cancel reaches an activity only through a heartbeat response; keep that under a few seconds.
        maxHeartbeatThrottleInterval: '5s',
        shutdownGraceTime: '5s',
      }),
      Worker.create({
        connection, namespace, taskQueue: hostIoTaskQueue(host.name), activities,
        identity: `cosmos-io-worker/${host.name}@${process.pid}`,
        // Transfers to one host share its link and its sshd's session limit.
        maxConcurrentActivityTaskExecutions: ioSlotsPerHost,
        maxHeartbeatThrottleInterval: '5s',
        shutdownGraceTime: '5s',
      }),
    ])),
  ];
  // The fast `cosmos doctor` checks of each host, in the background: a host that is not ready is logged, and the
  // scheduler sends it none of the work it is not ready for.
  const startChecks = logHostReadiness(config.hosts, options.log ?? (() => {}),
    (host, report) => recordHostReadiness(db, host.name, schedulingBlocks(host, report)).then(() => undefined));
  const done = Promise.all(workers.map((w) => w.run())).then(async () => {
    // A start check still waiting on a host that does not answer must not hold the shutdown up.
    await Promise.race([startChecks, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
    await Promise.all([...hosts.values()].map((h) => h.transport.close()));
    await closeDb();
    await signaller.close();
    await connection.close();
    // The simulator's command daemon was started for this stack; its containers are jobs and stay.
    if (config.simulatedHost) await stopSimDaemon(simulatorHome(config));
  });
  return {
    done,
    async shutdown() {
      for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}

const ioSlotsPerHost = 4;

export function gpuSlots(host: GpuHostConfig): number {
  return Math.max(1, Math.floor(host.gpus.length / host.gpus_per_job));
}


async function ensureSimulator(config: Config): Promise<void> {
  const home = simulatorHome(config);
  if (!existsSync(`${home}/sim.json`)) await installSimulator(home, { gpus: 1, timeScale: 0.01 });
  for (const host of config.hosts) await seedCheckpoints(host);
}

// Runs from src/ under vitest and from dist/src/ after tsc; the bundler takes either.
function findWorkflowsPath(): string {
  const ts = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));
  return existsSync(ts) ? ts : fileURLToPath(new URL('./workflows/index.js', import.meta.url));
}

export function parseDurationMs(value: string): number {
  const ms = readDurationMs(value);
  if (ms === null) throw new Error(`not a duration: ${value}`);
  return ms;
}

export async function runWorkerMain(): Promise<void> {
  const level = (process.env.COSMOS_LOG_LEVEL ?? 'INFO').toUpperCase();
  if (!['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'].includes(level)) throw new Error(`COSMOS_LOG_LEVEL=${level} is not one of TRACE, DEBUG, INFO, WARN, ERROR`);
  Runtime.install({ logger: new DefaultLogger(level as 'INFO') });
  const config = loadConfig();
  const worker = await startWorker(config, resolveEndpoints(config), { log: (line) => console.log(`cosmos worker: ${line}`) });
  console.log(`cosmos worker: polling ${config.temporal.task_queue} and ${config.hosts.map((h) => gpuTaskQueue(h.name)).join(', ')}`);
  await worker.done;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  runWorkerMain().catch((error: unknown) => {
    console.error(`cosmos worker: ${(error as Error).message}`);
    process.exit(1);
  });
}
