import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { inject } from 'vitest';
import type { Client } from '@temporalio/client';
import { loadConfig, type Config } from '../../src/config.js';
import { createDb, migrateDb, type DbHandle } from '../../src/db/client.js';
import { connectTemporal } from '../../src/client/temporal.js';
import { startWorker, type WorkerHandle } from '../../src/worker.js';
import { seedCheckpoints } from '../../src/gpu/doctor/seed-checkpoints.js';
import { installSimulator, stopSimContainers, type SimulatorSettings } from '../../simulator/install.js';
import { createTestDatabase } from './database.js';
import { startSshd, type TestSshd } from './sshd.js';

export const projectRoot = resolve(import.meta.dirname, '..', '..');
export const demoInputs = join(projectRoot, 'samples', 'demo');

export interface PipelineHarness {
  dir: string;
  config: Config;
  configPath: string;
  db: DbHandle['db'];
  temporal: Client;
  simHome: string;
  hostName: string;
  remoteDir: string;
  /** Every host: the first is `hostName`/`simHome`/`remoteDir`. */
  hosts: { name: string; simHome: string; remoteDir: string }[];
  /** The sshd in front of the simulator (transport 'ssh'), for injecting link faults. */
  sshd: TestSshd | null;
  startWorker(): Promise<WorkerHandle>;
  /** The worker as a separate process (`node dist/src/worker.js`), for crash tests. */
  spawnWorker(): ChildProcess;
  close(): Promise<void>;
}

export interface HarnessOptions {
  transport: 'ssh' | 'local';
  sim?: Partial<SimulatorSettings>;
  /** Extra keys for the host entry, e.g. transfer_rate_limit. */
  host?: Record<string, unknown>;
  /** More simulated hosts (each its own simulator and remote dir), with their own extra keys. */
  moreHosts?: Record<string, unknown>[];
  /** Extra keys for the [temporal] section, e.g. hang_timeout. */
  temporal?: Record<string, unknown>;
  /** A PostgreSQL server of the test's own (to restart it); the shared one otherwise. */
  databaseServerUrl?: string;
  /** A Temporal server of the test's own (to restart it); the shared one otherwise. */
  temporalAddress?: string;
  /** Where the orchestrator keeps runs/ (e.g. a small tmpfs); under the test's folder otherwise. */
  dataDir?: string;
}

/**
 * A real stack for one test file: its own database, its own task queues on the shared Temporal dev server,
 * the simulator as the GPU host, and (for `ssh`) a real sshd on 127.0.0.1 in front of it.
 */
export async function createPipelineHarness(options: HarnessOptions): Promise<PipelineHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'cosmos-pipeline-'));
  await chmod(dir, 0o755);
  const cleanups: Array<() => Promise<unknown>> = [() => rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 })];
  const suffix = randomBytes(4).toString('hex');
  const testDb = await createTestDatabase(options.databaseServerUrl ?? inject('databaseUrl'));
  const temporalAddress = options.temporalAddress ?? inject('temporalAddress');
  cleanups.push(testDb.drop);
  await migrateDb(testDb.url);

  let sshd: TestSshd | null = null;
  if (options.transport === 'ssh') {
    sshd = await startSshd({ dir: join(dir, 'sshd') });
    cleanups.push(sshd.stop);
  }
  const hosts: PipelineHarness['hosts'] = [];
  const hostEntries: Record<string, unknown>[] = [];
  for (const [i, extra] of [options.host ?? {}, ...(options.moreHosts ?? [])].entries()) {
    const name = `sim${i}-${suffix}`;
    const remoteDir = join(dir, `gpu-host-${i}`);
    // A 4K upscale chunk is 3 h 14 min of model time by default (cosmos-transfer1 issue #134): 47 s here. Tests that
    // are not about that silence get the old ~23 min; tests/workflows/real-host-defects.test.ts runs the real one.
    const sim = await installSimulator(join(dir, `simulator-${i}`), { gpus: 1, timeScale: 0.004, upscaleSecondsPerChunk: 1389, ...options.sim });
    hosts.push({ name, simHome: sim.home, remoteDir });
    cleanups.push(() => stopSimContainers(sim.home));
    hostEntries.push({
      name, transport: options.transport, remote_dir: remoteDir, image: 'cosmos-transfer1:test',
      docker: sim.dockerBin, nvidia_smi: sim.nvidiaSmiBin,
      ...(sshd ? { host: sshd.host, port: sshd.port, user: sshd.user, key_path: sshd.privateKeyPath, host_key_fingerprint: sshd.hostKeyFingerprint } : {}),
      ...extra,
    });
  }
  const configPath = join(dir, 'cosmos.toml');
  await writeFile(configPath, toToml({
    data_dir: options.dataDir ?? join(dir, 'data'),
    database: { url: testDb.url },
    temporal: {
      address: temporalAddress, task_queue: `cosmos-test-${suffix}`,
      heartbeat_timeout: '4s', retry_initial_interval: '300ms', retry_maximum_interval: '2s', poll_interval: '300ms',
      ...options.temporal,
    },
  }, hostEntries));
  const config = loadConfig({ COSMOS_CONFIG: configPath }, dir);
  for (const host of config.hosts) await seedCheckpoints(host);

  const dbHandle = createDb(testDb.url);
  cleanups.push(dbHandle.close);
  const temporal = await connectTemporal({ address: temporalAddress, namespace: 'default' });
  cleanups.push(temporal.close);
  const endpoints = { databaseUrl: testDb.url, temporalAddress };

  return {
    dir, config, configPath, db: dbHandle.db, temporal: temporal.client,
    simHome: hosts[0]!.simHome, hostName: hosts[0]!.name, remoteDir: hosts[0]!.remoteDir, hosts, sshd,
    async startWorker() {
      const worker = await startWorker(config, endpoints);
      cleanups.push(() => worker.shutdown());
      return worker;
    },
    spawnWorker() {
      const entry = join(projectRoot, 'dist', 'src', 'worker.js');
      if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first (npm test does)`);
      const child = spawn(process.execPath, [entry], {
        env: { ...process.env, COSMOS_CONFIG: configPath, DATABASE_URL: '', TEMPORAL_ADDRESS: '', COSMOS_LOG_LEVEL: 'ERROR' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[worker ${child.pid}] ${chunk.toString()}`));
      cleanups.push(async () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
      return child;
    },
    async close() {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    },
  };
}

function toToml(root: Record<string, unknown>, hosts: Record<string, unknown>[]): string {
  const value = (v: unknown): string => (Array.isArray(v) ? `[${v.map(value).join(', ')}]` : JSON.stringify(v));
  const table = (entries: Record<string, unknown>) =>
    Object.entries(entries).filter(([, v]) => typeof v !== 'object' || Array.isArray(v)).map(([k, v]) => `${k} = ${value(v)}`).join('\n');
  const sections = Object.entries(root).filter(([, v]) => typeof v === 'object' && !Array.isArray(v))
    .map(([name, v]) => `[${name}]\n${table(v as Record<string, unknown>)}`);
  // A host's tables (e.g. env) are written inline: `env = { PATH = "…" }`.
  const key = (k: string) => (/^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k));
  const inline = (v: Record<string, unknown>): string => `{ ${Object.entries(v)
    .map(([k, x]) => `${key(k)} = ${x !== null && typeof x === 'object' && !Array.isArray(x) ? inline(x as Record<string, unknown>) : value(x)}`).join(', ')} }`;
  const hostTable = (host: Record<string, unknown>) => Object.entries(host)
    .map(([k, v]) => `${k} = ${v !== null && typeof v === 'object' && !Array.isArray(v) ? inline(v as Record<string, unknown>) : value(v)}`).join('\n');
  return `${table(root)}\n\n${sections.join('\n\n')}\n\n${hosts.map((host) => `[[hosts]]\n${hostTable(host)}\n`).join('\n')}`;
}

export { makeUniqueInputs } from './unique-inputs.js';
