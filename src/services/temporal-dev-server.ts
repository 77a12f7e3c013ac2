import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Connection } from '@temporalio/client';
import { assertPortFree, pickFreePort } from './free-port.js';
import { findTemporalBinary } from './temporal-binary.js';
import {
  ensureSearchAttributes,
  formatSearchAttributeFlag,
  setNamespaceRetention,
  verifyNamespace,
  type SearchAttributeKey,
} from './temporal-namespace-setup.js';

export interface TemporalDevServerOptions {
  dataDir: string;
  ip?: string;
  /** 0 = pick a free port */
  port?: number;
  /** 0 = pick a free port; undefined = port + 1000 (the CLI's own default) */
  uiPort?: number;
  headless?: boolean;
  namespace?: string;
  retention?: string;
  searchAttributes: SearchAttributeKey[];
  log?: (line: string) => void;
}

export interface TemporalDevServer {
  address: string;
  uiUrl: string | null;
  namespace: string;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 10_000;
const STDERR_TAIL_LINES = 40;

/** Starts `temporal server start-dev` on SQLite, waits for it, then registers attributes and sets retention. */
export async function startTemporalDevServer(opts: TemporalDevServerOptions): Promise<TemporalDevServer> {
  const ip = opts.ip ?? '127.0.0.1';
  const namespace = opts.namespace ?? 'default';
  const retention = opts.retention ?? '720h';
  const port = opts.port || (await pickFreePort(ip));
  const uiPort = opts.headless ? null : opts.uiPort === 0 ? await pickFreePort(ip) : (opts.uiPort ?? port + 1000);
  if (opts.port) await assertPortFree(ip, port, 'Temporal dev server');
  if (uiPort !== null && opts.uiPort !== 0) await assertPortFree(ip, uiPort, 'Temporal Web UI');
  mkdirSync(opts.dataDir, { recursive: true });

  const args = [
    'server', 'start-dev',
    '--db-filename', join(opts.dataDir, 'temporal.db'),
    '--sqlite-pragma', 'journal_mode=WAL',
    '--ip', ip,
    '--port', String(port),
    ...(uiPort === null ? ['--headless'] : ['--ui-port', String(uiPort)]),
    ...(namespace === 'default' ? [] : ['--namespace', namespace]),
    ...opts.searchAttributes.flatMap((key) => ['--search-attribute', formatSearchAttributeFlag(key)]),
    // The version check phones home; we have no internet.
    '--dynamic-config-value', 'frontend.enableServerVersionCheck=false',
    '--log-level', 'warn',
  ];
  const child = spawn(findTemporalBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const stderrTail: string[] = [];
  collectLines(child, (line, stream) => {
    if (stream === 'stderr') {
      stderrTail.push(line);
      if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
    }
    opts.log?.(line);
  });
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    await stopChild(child);
  };

  const address = `${ip}:${port}`;
  try {
    const connection = await waitForFrontend(child, address, namespace, stderrTail);
    try {
      await ensureSearchAttributes(connection, namespace, opts.searchAttributes);
      await setNamespaceRetention(connection, namespace, retention);
      await verifyNamespace(connection, namespace, opts.searchAttributes, retention);
    } finally {
      await connection.close();
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { address, uiUrl: uiPort === null ? null : `http://${ip}:${uiPort}`, namespace, stop };
}

function collectLines(child: ChildProcess, onLine: (line: string, stream: 'stdout' | 'stderr') => void) {
  if (child.stdout) createInterface({ input: child.stdout }).on('line', (l) => onLine(l, 'stdout'));
  if (child.stderr) createInterface({ input: child.stderr }).on('line', (l) => onLine(l, 'stderr'));
}

async function waitForFrontend(
  child: ChildProcess,
  address: string,
  namespace: string,
  stderrTail: string[],
): Promise<Connection> {
  let spawnError: Error | undefined;
  child.on('error', (err) => (spawnError = err));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (spawnError) throw new Error(`could not run the Temporal CLI: ${spawnError.message}`);
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `temporal server start-dev exited (${child.exitCode ?? child.signalCode}) before it was ready:\n` +
          stderrTail.join('\n'),
      );
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return connection;
      } catch (err) {
        await connection.close();
        throw err;
      }
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(
    `Temporal dev server at ${address} did not answer within ${READY_TIMEOUT_MS / 1000} s ` +
      `(last error: ${String(lastError)}). Server stderr:\n${stderrTail.join('\n')}`,
  );
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}
