import type { GpuHostTransport } from './transport.js';

/** A process nvidia-smi lists as using a GPU for compute (`--query-compute-apps`). */
export interface GpuProcess { pid: number; usedMemoryMiB: number | null }

/** One GPU as nvidia-smi sees it: a reading given as `[N/A]` (MIG, unified memory) is null, unknown rather than 0. */
export interface GpuOccupancy {
  index: number;
  uuid: string;
  name: string;
  memoryUsedMiB: number | null;
  memoryTotalMiB: number | null;
  processes: GpuProcess[];
}

/** What a model type needs free on each of its GPUs: MiB, or a share of the card's total memory. */
export type GpuMemoryNeed = number | { fractionOfTotal: number };

const gpuFields = 'index,uuid,memory.used,memory.total,name';
const appFields = 'gpu_uuid,pid,used_memory';
// The two readings go to the parser as one text, each after its marker.
const gpusMarker = '@@cosmos-gpus@@';
const appsMarker = '@@cosmos-compute-apps@@';

/**
 * Both nvidia-smi queries side by side (each takes a while on a real driver): the GPUs (index, UUID, memory) and the
 * compute processes, which nvidia-smi names by GPU UUID only. The doctor and the lease check read the host through this.
 */
export async function readGpuOccupancy(transport: GpuHostTransport, nvidiaSmi: string, options: { timeoutMs?: number } = {}): Promise<GpuOccupancy[]> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const [gpus, apps] = await Promise.all([
    transport.exec([nvidiaSmi, `--query-gpu=${gpuFields}`, '--format=csv,noheader,nounits'], { timeoutMs }),
    transport.exec([nvidiaSmi, `--query-compute-apps=${appFields}`, '--format=csv,noheader,nounits'], { timeoutMs }),
  ]);
  return parseGpuOccupancy(`${gpusMarker}\n${gpus.stdout}\n${appsMarker}\n${apps.stdout}`);
}

/** nvidia-smi answered, but not in the shape asked for. */
export class GpuReadingError extends Error {
  override readonly name = 'GpuReadingError';
}

export function parseGpuOccupancy(stdout: string): GpuOccupancy[] {
  const start = stdout.indexOf(`${gpusMarker}\n`);
  const middle = stdout.indexOf(`${appsMarker}\n`, start);
  if (start < 0 || middle < 0) throw new GpuReadingError(`unexpected output of nvidia-smi: ${stdout.slice(0, 300)}`);
  const lines = (text: string) => text.split('\n').map((line) => line.trim()).filter(Boolean);
  const gpus = lines(stdout.slice(start + gpusMarker.length + 1, middle)).map((line): GpuOccupancy => {
    const cells = line.split(',').map((cell) => cell.trim());
    if (cells.length < 5 || !/^\d+$/.test(cells[0]!)) throw new GpuReadingError(`unexpected nvidia-smi line: ${line}`);
    // The name is last because it may hold commas itself.
    return {
      index: Number(cells[0]), uuid: cells[1]!, memoryUsedMiB: reading(cells[2]), memoryTotalMiB: reading(cells[3]),
      name: cells.slice(4).join(', '), processes: [],
    };
  });
  const byUuid = new Map(gpus.map((gpu) => [gpu.uuid, gpu]));
  for (const line of lines(stdout.slice(middle + appsMarker.length + 1))) {
    const [uuid = '', pid = '', used] = line.split(',').map((cell) => cell.trim());
    if (!/^\d+$/.test(pid)) throw new GpuReadingError(`unexpected nvidia-smi line: ${line}`);
    byUuid.get(uuid)?.processes.push({ pid: Number(pid), usedMemoryMiB: reading(used) });
  }
  return gpus;
}

const reading = (value: string | undefined) => (value === undefined || !/^\d+(\.\d+)?$/.test(value) ? null : Number(value));

/** MiB a model needs free on a card of this total; null when it states nothing or the total is unknown. */
export function neededMiB(need: GpuMemoryNeed | undefined, totalMiB: number | null): number | null {
  if (need === undefined) return null;
  if (typeof need === 'number') return need;
  return totalMiB === null ? null : Math.ceil(totalMiB * need.fractionOfTotal);
}

export const freeMiB = (gpu: GpuOccupancy) => (gpu.memoryUsedMiB === null || gpu.memoryTotalMiB === null ? null : gpu.memoryTotalMiB - gpu.memoryUsedMiB);

/**
 * Devices that are not ours to take although none of our containers holds them, each with the reason: a compute
 * process runs there (on a device none of our running containers holds it is not ours: someone else's job, a
 * notebook, a stuck process), or less memory is free than the model needs. A reading nvidia-smi gives as
 * `[N/A]` cannot tell either way, and never blocks a device: a wrong "busy" would queue runs forever, while a
 * wrong "free" fails one run with the model's own out-of-memory error.
 */
export function foreignBusyGpus(occupancy: readonly GpuOccupancy[], ours: ReadonlySet<number>, need?: GpuMemoryNeed): Map<number, string> {
  const blocked = new Map<number, string>();
  for (const gpu of occupancy) {
    if (ours.has(gpu.index)) continue;
    if (gpu.processes.length > 0) {
      const list = gpu.processes.map((p) => `pid ${p.pid}${p.usedMemoryMiB === null ? '' : ` ${p.usedMemoryMiB} MiB`}`).join(', ');
      blocked.set(gpu.index, `a compute process that is not ours (${list})`);
      continue;
    }
    const free = freeMiB(gpu);
    const wanted = neededMiB(need, gpu.memoryTotalMiB);
    if (free !== null && wanted !== null && free < wanted) blocked.set(gpu.index, `${free} MiB free, the model needs ${wanted} MiB`);
  }
  return blocked;
}
