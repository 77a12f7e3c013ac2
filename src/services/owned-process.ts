import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The servers `cosmos dev` starts (PostgreSQL, the Temporal dev server) are child processes that would outlive
 * a `kill -9` of it. Two defences, both here: a watchdog that stops a server when the process that started it
 * dies, however it dies; and, for when even that did not happen, pid files the next start reads to find and
 * stop what an earlier run left behind.
 */

/** A process as /proc (or `ps`) sees it. `startTime` tells it apart from a later process with the same pid. */
export interface ProcessInfo { pid: number; ppid: number; startTime: string; args: string[] }

/** A server we started and the process that started it, as written to a pid file. */
export interface ProcessRecord { pid: number; startTime: string; owner: { pid: number; startTime: string } }

/** One step of stopping a process: send `signal`, then wait up to `waitMs` for it to exit. */
export type StopStep = [signal: NodeJS.Signals, waitMs: number];

const hasProc = (() => {
  try {
    readFileSync('/proc/self/stat');
    return true;
  } catch {
    return false;
  }
})();

/** The live process with this pid, or null (a zombie counts as exited). */
export function inspectProcess(pid: number): ProcessInfo | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  if (hasProc) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z' || fields[0] === 'X') return null;
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0$/, '').split('\0');
      return { pid, ppid: Number(fields[1]), startTime: fields[19]!, args };
    } catch {
      return null;
    }
  }
  try {
    const [state = '', ppid = '', ...rest] = execFileSync('ps', ['-o', 'state=,ppid=,lstart=,args=', '-p', String(pid)], { encoding: 'utf8' })
      .trim().split(/\s+/);
    if (state.startsWith('Z')) return null;
    return { pid, ppid: Number(ppid), startTime: rest.slice(0, 5).join(' '), args: rest.slice(5) };
  } catch {
    return null;
  }
}

/** Whether the process of this record (pid and start time) still runs. */
export function isRunning(process: { pid: number; startTime: string }): boolean {
  return inspectProcess(process.pid)?.startTime === process.startTime;
}

export function ownRecord(pid: number): ProcessRecord | null {
  const child = inspectProcess(pid);
  const self = inspectProcess(process.pid);
  return child && self ? { pid, startTime: child.startTime, owner: { pid: self.pid, startTime: self.startTime } } : null;
}

export function writeRecord(file: string, record: ProcessRecord): void {
  writeFileSync(`${file}.tmp`, `${JSON.stringify(record)}\n`);
  renameSync(`${file}.tmp`, file);
}

export function readRecord(file: string): ProcessRecord | null {
  try {
    const record = JSON.parse(readFileSync(file, 'utf8')) as ProcessRecord;
    return Number.isInteger(record.pid) && typeof record.startTime === 'string' ? record : null;
  } catch {
    return null;
  }
}

export function removeFile(file: string): void {
  rmSync(file, { force: true });
}

/** Runs the steps until the process is gone; true when it is. */
export async function stopProcess(target: { pid: number; startTime: string }, steps: StopStep[]): Promise<boolean> {
  for (const [signal, waitMs] of steps) {
    if (!isRunning(target)) return true;
    try {
      process.kill(target.pid, signal);
    } catch {
      // exited meanwhile
    }
    for (const deadline = Date.now() + waitMs; Date.now() < deadline && isRunning(target);) await sleep(50);
  }
  return !isRunning(target);
}

/**
 * What an earlier start left running, from its pid file: `null` when nothing (or something unrelated now has
 * the pid), else the process and whether the process that started it is still alive (then it is in use, not
 * an orphan).
 */
export function findLeftover(
  pid: number,
  owner: ProcessRecord['owner'] | undefined,
  isOurs: (args: string[]) => boolean,
): { process: ProcessInfo; ownerAlive: boolean } | null {
  const found = inspectProcess(pid);
  if (!found || !isOurs(found.args)) return null;
  // Without a record of the owner (a pid file of an older version), the parent tells: an orphan is re-parented.
  const ownerAlive = owner ? isRunning(owner) : found.ppid > 1 && inspectProcess(found.ppid) !== null;
  return { process: found, ownerAlive };
}

// Runs in its own node process, detached from our process group (Ctrl-C reaches only the servers and us).
// Its stdin is a pipe from us; EOF means we are gone, however we went. It also exits when the target does.
const WATCHDOG = `// cosmos watchdog
const fs = require('node:fs');
const { pid, startTime, steps } = JSON.parse(process.argv[1]);
const running = () => {
  try {
    const stat = fs.readFileSync('/proc/' + pid + '/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] !== 'Z' && fields[0] !== 'X' && fields[19] === startTime;
  } catch (error) {
    if (error.code !== 'ENOENT' || fs.existsSync('/proc/self/stat')) return false;
    try { process.kill(pid, 0); return true; } catch { return false; }
  }
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  for (const [signal, waitMs] of steps) {
    if (!running()) break;
    try { process.kill(pid, signal); } catch {}
    for (const deadline = Date.now() + waitMs; Date.now() < deadline && running();) await sleep(50);
  }
  process.exit(0);
};
process.stdin.on('data', () => {});
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.on('error', stop);
setInterval(() => { if (!stopping && !running()) process.exit(0); }, 2000);
`;

export interface Watchdog { release(): Promise<void> }

/** Stops `target` with `steps` as soon as this process dies (SIGKILL included), unless released first. */
export function watchOverChild(target: { pid: number; startTime: string }, steps: StopStep[]): Watchdog {
  let child: ChildProcess | null = null;
  try {
    child = spawn(process.execPath, ['-e', WATCHDOG, JSON.stringify({ ...target, steps })], {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    child.on('error', () => {}); // then the pid files are the only defence
    child.stdin?.on('error', () => {});
    child.unref();
    (child.stdin as Socket | null)?.unref();
  } catch {
    child = null;
  }
  return {
    async release() {
      const watchdog = child;
      child = null;
      if (!watchdog || watchdog.exitCode !== null || watchdog.signalCode !== null || watchdog.pid === undefined) return;
      watchdog.ref();
      const exited = new Promise<void>((resolve) => watchdog.once('exit', () => resolve()));
      watchdog.kill('SIGKILL');
      await Promise.race([exited, sleep(2_000)]);
      watchdog.unref();
    },
  };
}
