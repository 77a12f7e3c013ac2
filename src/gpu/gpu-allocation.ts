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
