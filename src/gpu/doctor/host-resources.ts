import { randomBytes } from 'node:crypto';
import { HostUnreachableError } from '../remote-command-error.js';
import { fail, formatMiB, ok, warn, type DoctorCheck, type DoctorContext } from './types.js';

// Our own thresholds (no model documents one): a run keeps its inputs and outputs in cosmos-jobs until cleaned.
const diskFailMiB = 10 * 1024;
/** The start of the disk check's failure when df cannot read remote_dir (not there yet, or not the user's). */
export const remoteDirUnreadable = 'remote_dir cannot be read';
const diskWarnMiB = 50 * 1024;
const shmWarnMiB = 1024;

/**
 * Host memory against what the served models need per GPU (all configured GPUs may run at once), /dev/shm (the
 * containers run with --ipc=host and share it; torchrun workers exchange tensors through it) and the free disk
 * under remote_dir, from one command: /proc/meminfo and `df -Pk`.
 */
export async function checkHostResources({ host, transport, served, user }: DoctorContext): Promise<DoctorCheck[]> {
  const result = await transport.exec(['sh', '-c', 'cat /proc/meminfo; echo @@df; df -Pk /dev/shm "$1"', 'sh', host.remote_dir], { timeoutMs: 30_000, okExitCodes: [1] });
  const [meminfo = '', df = ''] = result.stdout.split('@@df\n');
  const checks: DoctorCheck[] = [];
  const totalKiB = Number(/^MemTotal:\s+(\d+) kB/m.exec(meminfo)?.[1] ?? NaN);
  const perGpu = Math.max(0, ...served.map((s) => s.model.hostMemoryPerGpuMiB ?? 0));
  if (Number.isNaN(totalKiB)) {
    checks.push(warn('host-memory', null, 'could not read /proc/meminfo', null));
  } else {
    const totalMiB = totalKiB / 1024;
    const neededMiB = perGpu * host.gpus.length;
    const detail = `${formatMiB(totalMiB)} for ${host.gpus.length} GPU(s), ${formatMiB(totalMiB / host.gpus.length)} per GPU`;
    const needer = served.find((s) => s.model.hostMemoryPerGpuMiB === perGpu)?.model.name;
    if (perGpu > 0 && totalMiB < neededMiB) {
      checks.push(warn('host-memory', null, `${detail}; ${needer} loads about ${formatMiB(perGpu)} per GPU process (T5-11B), ${formatMiB(neededMiB)} with every GPU busy`,
        'jobs on all GPUs at once may be killed by the kernel\'s OOM killer: add memory, or configure fewer `gpus` on this host'));
    } else {
      checks.push(ok('host-memory', null, detail));
    }
  }
  const rows = df.split('\n').slice(1).filter(Boolean).map((line) => line.trim().split(/\s+/));
  const shm = rows.find((row) => row[5] === '/dev/shm');
  const shmMiB = shm ? Number(shm[1]) / 1024 : null;
  if (shmMiB === null) checks.push(warn('shm', '/dev/shm', 'no /dev/shm on the host', 'torchrun with several GPUs needs shared memory: mount a tmpfs at /dev/shm'));
  else if (shmMiB < shmWarnMiB) checks.push(warn('shm', '/dev/shm', `${formatMiB(shmMiB)} (the containers share it: --ipc=host)`, 'enlarge it (`mount -o remount,size=16G /dev/shm`): torchrun workers pass tensors through it'));
  else checks.push(ok('shm', '/dev/shm', `${formatMiB(shmMiB)} (the containers share it: --ipc=host)`));
  // The last row is remote_dir's unless df could not read it (then only /dev/shm's is there).
  const disk = rows.length === 2 || (rows.length === 1 && !shm) ? rows.at(-1) : undefined;
  if (!disk) {
    checks.push(fail('disk', host.remote_dir, `${remoteDirUnreadable}: ${result.stderr.trim().split('\n').at(-1) ?? ''}`,
      `create it and give it to the SSH user: \`sudo mkdir -p ${host.remote_dir} && sudo chown ${user} ${host.remote_dir}\` (it holds the model checkout, cosmos-jobs and cosmos-cache)`));
    return checks;
  }
  const freeMiB = Number(disk[3]) / 1024;
  const detail = `${formatMiB(freeMiB)} free of ${formatMiB(Number(disk[1]) / 1024)} on ${disk[5]}`;
  const hint = `free space: \`cosmos clean --dry-run\` shows the finished jobs and unused cache files it would remove; or move remote_dir to a larger disk`;
  if (freeMiB < diskFailMiB) checks.push(fail('disk', host.remote_dir, `${detail}: too little for the runs' inputs and outputs (under ${formatMiB(diskFailMiB)})`, hint));
  else if (freeMiB < diskWarnMiB) checks.push(warn('disk', host.remote_dir, `${detail} (under ${formatMiB(diskWarnMiB)})`, hint));
  else checks.push(ok('disk', host.remote_dir, detail));
  return checks;
}

/** The SSH user writes in the job folder over SFTP and reads it back with a command, as every run does. */
export async function checkWrite({ host, transport, user }: DoctorContext): Promise<DoctorCheck> {
  const dir = `${host.remote_dir}/cosmos-jobs`;
  const path = `${dir}/.cosmos-doctor-${randomBytes(6).toString('hex')}`;
  const data = randomBytes(32).toString('hex');
  try {
    await transport.mkdirp(dir);
    await transport.writeFile(path, data);
    const { stdout } = await transport.exec(['sh', '-c', 'cat -- "$1"; rm -f -- "$1"', 'sh', path], { timeoutMs: 30_000 });
    if (stdout !== data) return fail('write', dir, 'a file written there read back different', `check the filesystem under ${dir}`);
    return ok('write', dir, `${user} writes, reads and removes files there`);
  } catch (error) {
    if (error instanceof HostUnreachableError) throw error;
    return fail('write', dir, `${user} cannot write there: ${(error as Error).message}`, `give the folder to the SSH user: \`sudo chown -R ${user} ${dir}\``);
  }
}
