import { freeMiB, neededMiB, readGpuOccupancy, type GpuOccupancy } from '../gpu-occupancy.js';
import { busyGpusOf } from '../gpu-allocation.js';
import { HostUnreachableError } from '../remote-command-error.js';
import { fail, formatMiB, lastLine, ok, warn, type DoctorCheck, type DoctorContext } from './types.js';

/** nvidia-smi as the worker reads it for the GPU choice (one command: GPUs and compute processes). */
export async function readGpus(context: DoctorContext): Promise<{ gpus: GpuOccupancy[] | null; check: DoctorCheck | null }> {
  try {
    return { gpus: await readGpuOccupancy(context.transport, context.host.nvidia_smi), check: null };
  } catch (error) {
    if (error instanceof HostUnreachableError) throw error;
    return {
      gpus: null,
      check: fail('gpus', null, `nvidia-smi could not be read: ${lastLine((error as Error).message)}`,
        `install the NVIDIA driver: \`${context.host.nvidia_smi}\` must work for ${context.user} on the host (or set \`nvidia_smi\` in cosmos.toml to its path)`),
    };
  }
}

/**
 * Each configured GPU: it exists, its card is big enough for every model type the host serves, and nothing that is
 * not ours holds it (a compute process on a device none of our running containers holds, or memory in use). A
 * device our own container holds is busy with our work, which is fine. `[N/A]` memory cannot be judged: a warning.
 */
export function checkGpus(context: DoctorContext, gpus: GpuOccupancy[]): DoctorCheck[] {
  const ours = busyGpusOf(context.ours ?? []);
  const needs = context.served.map(({ model }) => ({ model: model.name, need: model.minFreeGpuMemoryMiB })).filter((n) => n.need !== undefined);
  const listed = gpus.map((g) => g.index).join(', ') || 'none';
  return context.host.gpus.map((index): DoctorCheck => {
    const subject = `GPU ${index}`;
    const gpu = gpus.find((g) => g.index === index);
    if (!gpu) {
      return fail('gpu', subject, `not on the host (nvidia-smi lists ${listed})`, `remove ${index} from \`gpus\` in cosmos.toml, or find out why the card is gone (\`nvidia-smi -L\`, \`dmesg | grep -i nvrm\`)`);
    }
    const total = gpu.memoryTotalMiB;
    const wanted = needs.map((n) => ({ ...n, mib: neededMiB(n.need, total) })).filter((n) => n.mib !== null);
    const largest = wanted.sort((a, b) => b.mib! - a.mib!)[0];
    if (total !== null && largest && total < largest.mib!) {
      return fail('gpu', subject, `${gpu.name} has ${formatMiB(total)}; ${largest.model} needs ${formatMiB(largest.mib!)} free on each GPU`,
        `serve ${largest.model} from a host with larger cards, or leave it out of this host's [hosts.models]`);
    }
    const held = (context.ours ?? []).find((c) => c.state === 'running' && c.devices.includes(index));
    if (ours.has(index)) return ok('gpu', subject, `${gpu.name}, in use by our container ${held?.name ?? ''}`.trim());
    if (gpu.processes.length > 0) {
      const who = gpu.processes.map((p) => `pid ${p.pid}${p.usedMemoryMiB === null ? '' : ` (${formatMiB(p.usedMemoryMiB)})`}`).join(', ');
      return fail('gpu', subject, `a compute process that is not ours runs on it: ${who}`,
        `find it with \`ps -o user,pid,cmd -p ${gpu.processes.map((p) => p.pid).join(',')}\` and stop it, or remove ${index} from \`gpus\`; until then runs skip this GPU or wait for it`);
    }
    const free = freeMiB(gpu);
    if (free === null || total === null) {
      return warn('gpu', subject, `${gpu.name}: memory reads [N/A] (MIG or unified memory), so neither doctor nor the GPU choice can tell whether it is free`, 'check `nvidia-smi` on the host by hand');
    }
    if (largest && free < largest.mib!) {
      return fail('gpu', subject, `${gpu.name}: ${formatMiB(free)} free of ${formatMiB(total)}, ${largest.model} needs ${formatMiB(largest.mib!)}`,
        'something outside our containers holds its memory (a display server, a process nvidia-smi cannot name): free it, or remove this GPU from `gpus`');
    }
    return ok('gpu', subject, `${gpu.name}, ${formatMiB(free)} free of ${formatMiB(total)}${largest ? ` (${largest.model} needs ${formatMiB(largest.mib!)})` : ''}`);
  });
}
