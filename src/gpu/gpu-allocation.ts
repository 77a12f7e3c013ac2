import type { GpuHostTransport } from './transport.js';

/** Label on every container we start, naming its GPU devices (`0_1`: docker ps joins labels with commas). */
export const gpuLabel = 'cosmos.gpus';
export const formatGpuLabel = (devices: number[]) => devices.join('_');

/** Devices held by our running containers on the host, read from the host itself so restarts cannot lose track. */
export async function listBusyGpus(transport: GpuHostTransport, docker: string): Promise<Set<number>> {
  const { stdout } = await transport.exec([docker, 'ps', '--filter', `label=${gpuLabel}`, '--format', '{{json .}}']);
  const busy = new Set<number>();
  for (const line of stdout.split('\n').filter((l) => l.trim() !== '')) {
    const labels = String((JSON.parse(line) as { Labels?: string }).Labels ?? '');
    const value = labels.split(',').find((pair) => pair.startsWith(`${gpuLabel}=`))?.slice(gpuLabel.length + 1) ?? '';
    for (const device of value.split('_').filter(Boolean)) busy.add(Number(device));
  }
  return busy;
}

/** The first `count` free devices, or null when the host has too few free right now. */
export function chooseGpus(all: number[], busy: Set<number>, count: number): number[] | null {
  const free = all.filter((device) => !busy.has(device));
  return free.length >= count ? free.slice(0, count) : null;
}
