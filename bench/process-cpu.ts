import { readdirSync, readFileSync } from 'node:fs';

// USER_HZ: the kernel reports process times in clock ticks of 1/100 s on Linux.
const ticksPerSecond = 100;

function statFields(pid: number): string[] | null {
  try {
    // The command name may contain spaces; the fields after it start at ") ".
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  } catch {
    return null;
  }
}

export function childPidsOf(parent: number): number[] {
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number)
    .filter((pid) => Number(statFields(pid)?.[1]) === parent);
}

/** CPU seconds of a process and all its descendants, live ones and those already reaped. */
export function treeCpuSeconds(pid: number): number {
  const fields = statFields(pid);
  if (!fields) return 0;
  // utime, stime, cutime, cstime are fields 14–17 of stat; here offset by the two fields before ") ".
  const own = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) / ticksPerSecond;
  return own + childPidsOf(pid).reduce((sum, child) => sum + treeCpuSeconds(child), 0);
}

/** CPU seconds of the process itself (all its threads), without its children. */
export function ownCpuSeconds(pid: number): number {
  const fields = statFields(pid);
  return fields ? (Number(fields[11]) + Number(fields[12])) / ticksPerSecond : 0;
}

/** CPU seconds the whole machine has spent busy (every core, everything but idle and iowait). */
export function machineCpuSeconds(): number {
  const [cpu] = readFileSync('/proc/stat', 'utf8').split('\n');
  const [user, nice, system, , , irq, softirq, steal] = cpu!.trim().split(/\s+/).slice(1).map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) / ticksPerSecond;
}

export function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}
