import { foreignBusyGpus, GpuReadingError, readGpuOccupancy, type GpuMemoryNeed } from './gpu-occupancy.js';
import { RemoteCommandError } from './remote-command-error.js';
import type { GpuHostTransport } from './transport.js';

/** Label on every container we start, naming its GPU devices (`0_1`: docker ps joins labels with commas). */
export const gpuLabel = 'cosmos.gpus';
export const formatGpuLabel = (devices: number[]) => devices.join('_');

export interface HostContainer { name: string; state: string; devices: number[] }

/**
 * Every container we started on the host (running or not, by our GPU label), read from the host itself so restarts
 * cannot lose track. One `docker ps` tells both whether a given container exists and which devices are busy.
 */
export async function listOurContainers(transport: GpuHostTransport, docker: string): Promise<HostContainer[]> {
  const { stdout } = await transport.exec([docker, 'ps', '--all', '--filter', `label=${gpuLabel}`, '--format', '{{json .}}']);
  return stdout.split('\n').filter((l) => l.trim() !== '').map((line) => {
    const row = JSON.parse(line) as { Names?: string; State?: string; Labels?: string };
    const value = String(row.Labels ?? '').split(',').find((pair) => pair.startsWith(`${gpuLabel}=`))?.slice(gpuLabel.length + 1) ?? '';
    return { name: String(row.Names ?? ''), state: String(row.State ?? ''), devices: value.split('_').filter(Boolean).map(Number) };
  });
}

/** Devices held by running containers of the listing. */
export function busyGpusOf(containers: readonly HostContainer[]): Set<number> {
  return new Set(containers.filter((c) => c.state === 'running').flatMap((c) => c.devices));
}

/** The first `count` free devices, or null when the host has too few free right now. */
export function chooseGpus(all: number[], busy: Set<number>, count: number): number[] | null {
  const free = all.filter((device) => !busy.has(device));
  return free.length >= count ? free.slice(0, count) : null;
}

/**
 * The first `count` devices that neither our containers hold nor anything we cannot see in our labels (a compute
 * process that is not ours, less free memory than the model needs), or why there are none right now. nvidia-smi
 * is asked only when our own containers leave enough devices, in one command. When it cannot be read (failing,
 * or answering in another shape) the choice rests on our own containers alone: it cannot tell, so it does not block.
 */
export async function pickFreeGpus(
  transport: GpuHostTransport, host: { gpus: number[]; nvidia_smi: string }, ours: Set<number>, count: number, need?: GpuMemoryNeed,
): Promise<{ devices: number[] } | { waiting: string }> {
  if (!chooseGpus(host.gpus, ours, count)) return { waiting: `GPU ${describeDevices(host.gpus.filter((d) => ours.has(d)))} in use by our containers` };
  let blocked = new Map<number, string>();
  try {
    blocked = foreignBusyGpus(await readGpuOccupancy(transport, host.nvidia_smi), ours, need);
  } catch (error) {
    if (!(error instanceof RemoteCommandError || error instanceof GpuReadingError)) throw error;
  }
  const devices = chooseGpus(host.gpus, new Set([...ours, ...blocked.keys()]), count);
  if (devices) return { devices };
  const reasons = host.gpus.filter((d) => blocked.has(d)).map((d) => `GPU ${d}: ${blocked.get(d)}`);
  const mine = host.gpus.filter((d) => ours.has(d));
  return { waiting: [...reasons, ...(mine.length > 0 ? [`GPU ${describeDevices(mine)} in use by our containers`] : [])].join('; ') };
}

const describeDevices = (devices: number[]) => devices.join(', ');
