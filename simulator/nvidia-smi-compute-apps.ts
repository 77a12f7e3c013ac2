import { listContainers } from './container-state.js';
import type { GpuReading } from './gpu-readings.js';
import { readHostDefects } from './host-defects.js';

/** One process with a CUDA context on a GPU, as `nvidia-smi --query-compute-apps` lists it. */
export interface ComputeApp { gpu: GpuReading; pid: number; processName: string; usedMemoryMiB: number }

interface AppField { unit?: string; read: (app: ComputeApp) => string | number }

/**
 * The fields of `nvidia-smi --help-query-compute-apps`; an alias prints under its canonical name in the header
 * (`--query-compute-apps=pid,process_name,used_memory --format=csv` prints `pid, process_name, used_gpu_memory [MiB]`
 * on a real host, one `<pid>, <path>, <n> MiB` line per process and the header alone when there is none).
 */
const APP_FIELDS: Record<string, { canonical: string } & AppField> = {
  timestamp: { canonical: 'timestamp', read: () => new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, '').replaceAll('-', '/') },
  gpu_name: { canonical: 'gpu_name', read: (a) => a.gpu.name },
  gpu_bus_id: { canonical: 'gpu_bus_id', read: (a) => a.gpu.busId },
  gpu_serial: { canonical: 'gpu_serial', read: (a) => `165${String(a.gpu.index).padStart(10, '0')}` },
  gpu_uuid: { canonical: 'gpu_uuid', read: (a) => a.gpu.uuid },
  pid: { canonical: 'pid', read: (a) => a.pid },
  process_name: { canonical: 'process_name', read: (a) => a.processName },
  name: { canonical: 'process_name', read: (a) => a.processName },
  used_gpu_memory: { canonical: 'used_gpu_memory', unit: 'MiB', read: (a) => a.usedMemoryMiB },
  used_memory: { canonical: 'used_gpu_memory', unit: 'MiB', read: (a) => a.usedMemoryMiB },
};

/**
 * Every process holding a GPU: each running simulated container on each device it holds (its main process stands
 * for the per-rank workers a real torchrun starts), and the foreign processes planted in sim.json (`gpuProcesses`).
 */
export function listComputeApps(home: string, gpus: GpuReading[]): ComputeApp[] {
  const byIndex = new Map(gpus.map((gpu) => [gpu.index, gpu]));
  const ours = listContainers(home).filter((c) => c.state.status === 'running').flatMap((c) =>
    c.config.gpuDevices.flatMap((device) => {
      const gpu = byIndex.get(device);
      return gpu ? [{ gpu, pid: c.state.pid, processName: '/usr/bin/python', usedMemoryMiB: gpu.memoryUsedMiB - 1 }] : [];
    }));
  const foreign = (readHostDefects(home).gpuProcesses ?? []).flatMap((p) => {
    const gpu = byIndex.get(p.gpu);
    return gpu ? [{ gpu, pid: p.pid, processName: p.name ?? 'python3', usedMemoryMiB: p.usedMemoryMiB }] : [];
  });
  return [...ours, ...foreign].sort((a, b) => a.gpu.index - b.gpu.index);
}

/** Prints the query like `--query-gpu` (an unknown field: the same message, exit 2); returns the exit code. */
export function printComputeApps(apps: ComputeApp[], query: string, format: Set<string>): number {
  const names = query.split(',').map((field) => field.trim());
  const unknown = names.find((field) => !(field in APP_FIELDS));
  if (unknown !== undefined) {
    process.stdout.write(`Field "${unknown}" is not a valid field to query.\n\n`);
    return 2;
  }
  const fields = names.map((field) => APP_FIELDS[field]!);
  if (!format.has('noheader')) process.stdout.write(`${fields.map((f) => (f.unit ? `${f.canonical} [${f.unit}]` : f.canonical)).join(', ')}\n`);
  for (const app of apps) {
    const values = fields.map((f) => {
      const value = String(f.read(app));
      return f.unit && !format.has('nounits') ? `${value} ${f.unit}` : value;
    });
    process.stdout.write(`${values.join(', ')}\n`);
  }
  return 0;
}
