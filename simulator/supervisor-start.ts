import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sparePidPath } from './sim-home.js';

const supervisorScript = fileURLToPath(new URL('./supervisor.js', import.meta.url));

/** The command daemon's supervisor started ahead, waiting on its stdin for the name of the container it is to run. */
let spare: { home: string; child: ChildProcess } | null = null;

/**
 * Starts the supervisor (the "container", supervisor.ts) of a created container. In the command daemon, which keeps
 * one spare ready, it hands the name to that spare: the container then starts without waiting for a node start, as
 * dockerd's containerd starts one without starting a daemon.
 */
export function startSupervisor(home: string, name: string): void {
  if (handToSpare(home, name)) return;
  spawn(process.execPath, [supervisorScript, '--sim-home', home, name], { detached: true, stdio: 'ignore' }).unref();
}

/** Keep a spare supervisor ready for `home` from now on (the command daemon; one home per daemon). */
export function keepSpareSupervisor(home: string): void {
  if (spare?.home === home && isWaiting(spare.child)) return;
  // A spare never holds a container: when this process ends its stdin does too, and it exits (supervisor.ts).
  const child = spawn(process.execPath, [supervisorScript, '--sim-home', home, '--spare'], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  child.stdin?.on('error', () => undefined);
  child.unref();
  spare = { home, child };
  if (child.pid) writeFileSync(sparePidPath(home), `${child.pid}\n`);
}

function handToSpare(home: string, name: string): boolean {
  const taken = spare;
  if (!taken || taken.home !== home || !isWaiting(taken.child)) return false;
  spare = null;
  // The pid file names a spare only while it is one: a supervisor running a container is never waited on as a spare.
  rmSync(sparePidPath(home), { force: true });
  taken.child.stdin!.end(`${name}\n`);
  setImmediate(() => keepSpareSupervisor(home));
  return true;
}

function isWaiting(child: ChildProcess): boolean {
  if (child.exitCode !== null || child.signalCode !== null || !child.pid || !child.stdin?.writable) return false;
  try {
    process.kill(child.pid, 0);
    return true;
  } catch {
    return false;
  }
}
