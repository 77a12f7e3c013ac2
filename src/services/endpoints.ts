import { chmodSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Config } from '../config.js';

export interface StackEndpoints { databaseUrl: string; temporalAddress: string; temporalUiUrl: string | null }

const stackFile = (dataDir: string) => join(dataDir, 'stack.json');
const PROBE_TIMEOUT_MS = 1_500;

/** The embedded stack (demo, `cosmos dev`) leaves its addresses here so the CLI and workers can find it. */
export function writeStackFile(dataDir: string, endpoints: StackEndpoints): void {
  const file = stackFile(dataDir);
  // It holds the database password: owner only, also when an older, wider file is in the way.
  writeFileSync(`${file}.tmp`, `${JSON.stringify({ ...endpoints, pid: process.pid }, null, 2)}\n`, { mode: 0o600 });
  chmodSync(`${file}.tmp`, 0o600);
  renameSync(`${file}.tmp`, file);
}

/** On a normal stop; a stack.json left by a killed run is harmless, as readers probe its addresses. */
export function removeStackFile(dataDir: string): void {
  const file = stackFile(dataDir);
  try {
    if ((JSON.parse(readFileSync(file, 'utf8')) as { pid?: number }).pid === process.pid) rmSync(file, { force: true });
  } catch {
    // none, or not ours to remove
  }
}

/**
 * Configured addresses win; otherwise those of the embedded stack in the data directory, if they answer. The
 * stack is found by its endpoints, not by the process that started it: its servers may outlive that one.
 */
export function resolveEndpoints(config: Config): StackEndpoints {
  const stack = readStack(config.dataDir);
  const databaseUrl = config.database.url ?? stack?.databaseUrl;
  const temporalAddress = config.temporal.address ?? stack?.temporalAddress;
  const hint = () => {
    const missing = [!config.database.url && 'DATABASE_URL (or [database] url)', !config.temporal.address && 'TEMPORAL_ADDRESS (or [temporal] address)']
      .filter(Boolean).join(' and ');
    return `start one with \`cosmos dev\`, or set ${missing}`;
  };
  if (!databaseUrl || !temporalAddress) throw new Error(`no running stack found in ${config.dataDir}: ${hint()}`);
  // Only what comes from stack.json is probed: a configured server that is down gets its own, precise error.
  const fromStack = [
    ...(config.database.url ? [] : [{ what: 'PostgreSQL', address: databaseHostPort(databaseUrl) }]),
    ...(config.temporal.address ? [] : [{ what: 'Temporal', address: splitHostPort(temporalAddress, 7233) }]),
  ];
  const answers = probeTcp(fromStack.map((s) => s.address));
  const silent = fromStack.filter((_, i) => !answers[i]).map((s) => `${s.what} at ${s.address.host}:${s.address.port}`);
  if (silent.length > 0) {
    throw new Error(`no running stack found in ${config.dataDir}: ${silent.join(' and ')} (from stack.json) did not answer; ${hint()}`);
  }
  return { databaseUrl, temporalAddress, temporalUiUrl: config.temporal.ui_url ?? stack?.temporalUiUrl ?? null };
}

function readStack(dataDir: string): StackEndpoints | null {
  const file = stackFile(dataDir);
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as StackEndpoints;
  } catch {
    return null;
  }
}

interface HostPort { host: string; port: number }

function databaseHostPort(url: string): HostPort {
  return hostPort(new URL(url), 5432);
}

/** `host:port` or `[v6]:port`. */
function splitHostPort(address: string, defaultPort: number): HostPort {
  return hostPort(new URL(`tcp://${address}`), defaultPort);
}

const hostPort = (url: URL, defaultPort: number): HostPort =>
  ({ host: url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(url.port) || defaultPort });

// TCP connects in a worker thread while this one waits: the CLI opens its context synchronously.
const PROBE = `
const { workerData } = require('node:worker_threads');
const net = require('node:net');
const flags = new Int32Array(workerData.buffer);
let left = workerData.targets.length;
workerData.targets.forEach(({ host, port }, i) => {
  const socket = net.connect({ host, port });
  let settled = false;
  const done = (ok) => {
    if (settled) return;
    settled = true;
    socket.destroy();
    Atomics.store(flags, i + 1, ok ? 1 : 2);
    if (--left === 0) { Atomics.store(flags, 0, 1); Atomics.notify(flags, 0); }
  };
  socket.setTimeout(workerData.timeout, () => done(false));
  socket.once('connect', () => done(true));
  socket.once('error', () => done(false));
});
`;

/** Whether something accepts a TCP connection at each address (in parallel, synchronously, bounded in time). */
function probeTcp(targets: HostPort[]): boolean[] {
  if (targets.length === 0) return [];
  const buffer = new SharedArrayBuffer(4 * (targets.length + 1));
  const flags = new Int32Array(buffer);
  const worker = new Worker(PROBE, { eval: true, workerData: { buffer, targets, timeout: PROBE_TIMEOUT_MS } });
  worker.unref();
  worker.on('error', () => {});
  Atomics.wait(flags, 0, 0, PROBE_TIMEOUT_MS + 2_000);
  void worker.terminate();
  return targets.map((_, i) => Atomics.load(flags, i + 1) === 1);
}
