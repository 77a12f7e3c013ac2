import { CUDA_VERSION, DRIVER_VERSION, readGpus, type GpuReading } from './gpu-readings.js';
import { listComputeApps, printComputeApps } from './nvidia-smi-compute-apps.js';
import { readSettings } from './settings.js';

interface Field {
  unit?: string;
  read: (gpu: GpuReading, count: number) => string | number;
}

const FIELDS: Record<string, Field> = {
  index: { read: (g) => g.index },
  count: { read: (_, count) => count },
  name: { read: (g) => g.name },
  gpu_name: { read: (g) => g.name },
  uuid: { read: (g) => g.uuid },
  gpu_uuid: { read: (g) => g.uuid },
  'pci.bus_id': { read: (g) => g.busId },
  driver_version: { read: () => DRIVER_VERSION },
  'memory.used': { unit: 'MiB', read: (g) => g.memoryUsedMiB },
  'memory.total': { unit: 'MiB', read: (g) => g.memoryTotalMiB },
  'memory.free': { unit: 'MiB', read: (g) => g.memoryTotalMiB - g.memoryUsedMiB },
  'utilization.gpu': { unit: '%', read: (g) => g.utilizationPercent },
  'utilization.memory': { unit: '%', read: (g) => Math.round(g.utilizationPercent * 0.6) },
  'temperature.gpu': { read: (g) => g.temperatureC },
  'power.draw': { unit: 'W', read: (g) => g.powerDrawW.toFixed(2) },
  'power.limit': { unit: 'W', read: (g) => g.powerLimitW.toFixed(2) },
};

/** `nvidia-smi` with the simulator home's GPUs: what it prints goes to process.stdout; the exit code is returned. */
export function runNvidiaSmi(home: string, args: string[]): number {
  const options = parseOptions(args);
  if (options === undefined) {
    process.stdout.write("Invalid combination of input arguments. Please run 'nvidia-smi -h' for help.\n\n");
    return 2;
  }
  const all = visibleGpus(readGpus(home, readSettings(home)));
  const gpus = options.ids ? all.filter((gpu) => options.ids?.includes(gpu.index)) : all;
  if (options.ids && gpus.length !== options.ids.length) {
    process.stdout.write('No devices were found\n');
    return 6;
  }
  if (options.list) {
    for (const gpu of gpus) process.stdout.write(`GPU ${gpu.index}: ${gpu.name} (UUID: ${gpu.uuid})\n`);
    return 0;
  }
  if (options.computeApps !== undefined) {
    return printComputeApps(listComputeApps(home, gpus), options.computeApps, new Set((options.format ?? '').split(',').map((part) => part.trim())));
  }
  if (options.query === undefined) {
    process.stdout.write(renderTable(gpus));
    return 0;
  }
  const names = options.query.split(',').map((field) => field.trim());
  const unknown = names.find((field) => !(field in FIELDS));
  if (unknown !== undefined) {
    process.stdout.write(`Field "${unknown}" is not a valid field to query.\n\n`);
    return 2;
  }
  const format = new Set((options.format ?? '').split(',').map((part) => part.trim()));
  if (!format.has('csv')) {
    process.stdout.write('Format option "csv" is required when querying.\n\n');
    return 2;
  }
  const fields = names.map((field) => [field, FIELDS[field] as Field] as const);
  if (!format.has('noheader')) {
    process.stdout.write(`${fields.map(([field, f]) => (f.unit ? `${field} [${f.unit}]` : field)).join(', ')}\n`);
  }
  for (const gpu of gpus) {
    const values = fields.map(([, f]) => {
      const value = String(f.read(gpu, all.length));
      return f.unit && !format.has('nounits') ? `${value} ${f.unit}` : value;
    });
    process.stdout.write(`${values.join(', ')}\n`);
  }
  return 0;
}

interface Options {
  query?: string;
  computeApps?: string;
  format?: string;
  ids?: number[];
  list: boolean;
}

function parseOptions(args: string[]): Options | undefined {
  const options: Options = { list: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const [flag = '', inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg];
    const value = () => inline ?? args[++i];
    if (flag === '--query-gpu') options.query = value();
    else if (flag === '--query-compute-apps') options.computeApps = value();
    else if (flag === '--format') options.format = value();
    else if (flag === '-i' || flag === '--id') options.ids = (value() ?? '').split(',').map(Number);
    else if (flag === '-L' || flag === '--list-gpus') options.list = true;
    else return undefined;
  }
  return options;
}

/**
 * Inside a container nvidia-smi sees only the devices `--gpus` gave it (the toolkit mounts those device nodes),
 * numbered from 0 in order, each with its own UUID; on the host, all of them.
 */
function visibleGpus(all: GpuReading[]): GpuReading[] {
  if (process.env.COSMOS_SIM_CONTAINER === undefined) return all;
  const visible = (process.env.CUDA_VISIBLE_DEVICES ?? '').split(',').filter(Boolean).map(Number);
  return visible.flatMap((device, i) => all.filter((gpu) => gpu.index === device).map((gpu) => ({ ...gpu, index: i })));
}

function renderTable(gpus: GpuReading[]): string {
  const line = '+-----------------------------------------+------------------------+----------------------+';
  const rows = gpus.flatMap((g) => [
    `| ${String(g.index).padStart(3)}  ${g.name.padEnd(28).slice(0, 28)}  On  | ${g.busId.padStart(18)} Off |${'0'.padStart(21)} |`,
    `| N/A  ${String(g.temperatureC).padStart(3)}C    P0 ${`${Math.round(g.powerDrawW)}W / ${g.powerLimitW}W`.padStart(22)} | ${`${g.memoryUsedMiB}MiB / ${g.memoryTotalMiB}MiB`.padStart(22)} | ${`${g.utilizationPercent}%`.padStart(8)}      Default |`,
    line,
  ]);
  return [
    new Date().toString().slice(0, 24),
    '+-----------------------------------------------------------------------------------------+',
    `| NVIDIA-SMI ${DRIVER_VERSION}              Driver Version: ${DRIVER_VERSION}      CUDA Version: ${CUDA_VERSION}     |`,
    '|-----------------------------------------+------------------------+----------------------+',
    '| GPU  Name                 Persistence-M | Bus-Id          Disp.A | Volatile Uncorr. ECC |',
    '| Fan  Temp   Perf          Pwr:Usage/Cap |           Memory-Usage | GPU-Util  Compute M. |',
    '|=========================================+========================+======================|',
    ...rows,
    '',
  ].join('\n');
}
