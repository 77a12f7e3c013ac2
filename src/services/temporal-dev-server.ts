import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Connection } from '@temporalio/client';
import { assertPortFree, pickFreePort } from './free-port.js';
import { findLeftover, ownRecord, readRecord, removeFile, stopProcess, watchOverChild, writeRecord, type StopStep } from './owned-process.js';
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
  /** Told when a server that an earlier, killed run left on this data dir is stopped. */
  notice?: (line: string) => void;
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
const STOP_STEPS: StopStep[] = [['SIGTERM', STOP_GRACE_MS], ['SIGKILL', 5_000]];
/** Ours, in the data dir: the server's pid and start time, and those of the process that started it. */
const PID_FILE = 'temporal.pid';

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
  const dbFile = join(resolve(opts.dataDir), 'temporal.db');
  const pidFile = join(opts.dataDir, PID_FILE);
  await stopLeftoverServer(pidFile, dbFile, opts.notice);

  const args = [
    'server', 'start-dev',
    '--db-filename', dbFile,
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
  // For a death of this process without the 'exit' event (SIGKILL): the watchdog, else the next start.
  const record = child.pid === undefined ? null : ownRecord(child.pid);
  if (record) writeRecord(pidFile, record);
  const watchdog = record ? watchOverChild(record, STOP_STEPS) : null;
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    await stopChild(child);
    await watchdog?.release();
    if (record && readRecord(pidFile)?.pid === record.pid) removeFile(pidFile);
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

/**
 * A dev server an earlier run left on this data dir (its starter was killed) would share the SQLite file with
 * the new one: stop it, after checking that the pid of the pid file still is a `temporal server start-dev` of
 * this database. One whose starter still runs is in use: then this start fails instead.
 */
async function stopLeftoverServer(pidFile: string, dbFile: string, notice?: (line: string) => void): Promise<void> {
  const record = readRecord(pidFile);
  if (!record) return;
  const isServerOfDb = (args: string[]) => args.includes('start-dev') && args[args.indexOf('--db-filename') + 1] === dbFile;
  const leftover = findLeftover(record.pid, record.owner, isServerOfDb);
  if (leftover?.ownerAlive) {
    throw new Error(
      `Temporal dev server: ${dbFile} is in use by pid ${record.pid}, started by pid ${record.owner.pid} which still runs; ` +
        'is another `cosmos dev` using this data directory?',
    );
  }
  if (leftover) {
    notice?.(`stopping Temporal dev server pid ${record.pid}, left running on ${dbFile} by an earlier run that did not stop it`);
    if (!(await stopProcess(leftover.process, STOP_STEPS))) {
      throw new Error(`Temporal dev server pid ${record.pid}, left running on ${dbFile} by an earlier run, does not stop`);
    }
  }
  removeFile(pidFile);
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
