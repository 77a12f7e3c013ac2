import { readFileSync } from 'node:fs';

/**
 * Whether the process runs. A zombie does not: it is dead and waits to be reaped, which an init that reaps only now
 * and then (this machine's reaps every 1.7 s or so) leaves to take a while, and `kill(pid, 0)` still succeeds on it.
 */
export function isProcessRunning(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    // No /proc entry: gone (or no /proc at all; then ask the kernel).
    if (existsProc()) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
}

function existsProc(): boolean {
  try {
    readFileSync('/proc/self/stat');
    return true;
  } catch {
    return false;
  }
}
