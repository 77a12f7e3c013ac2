import { createHash } from 'node:crypto';
import { listContainers } from './container-state.js';
import { readHostDefects } from './host-defects.js';
import type { ResolvedSettings } from './settings.js';

export const DRIVER_VERSION = '550.54.15';
export const CUDA_VERSION = '12.4';
const MEMORY_TOTAL_MIB = 81559;
const POWER_LIMIT_W = 700;

export interface GpuReading {
  index: number;
  name: string;
  uuid: string;
  busId: string;
  memoryUsedMiB: number;
  memoryTotalMiB: number;
  utilizationPercent: number;
  temperatureC: number;
  powerDrawW: number;
  powerLimitW: number;
}

/** A GPU is busy while a running simulated container holds it (through `--gpus`); planted processes use memory. */
export function readGpus(home: string, settings: ResolvedSettings): GpuReading[] {
  const busy = new Set(
    listContainers(home)
      .filter((container) => container.state.status === 'running')
      .flatMap((container) => container.config.gpuDevices),
  );
  // A planted foreign process holds its memory as any CUDA context does (nvidia-smi's memory.used counts it).
  const foreignMiB = (index: number) => (readHostDefects(home).gpuProcesses ?? []).filter((p) => p.gpu === index).reduce((sum, p) => sum + p.usedMemoryMiB, 0);
  return Array.from({ length: settings.gpus }, (_, index) => {
    const held = busy.has(index);
    return {
      index,
      name: settings.gpuName,
      uuid: gpuUuid(home, index),
      busId: `00000000:${(0x18 + index * 0x10).toString(16).toUpperCase().padStart(2, '0')}:00.0`,
      memoryUsedMiB: held ? between(71_500, 79_000) : 1 + foreignMiB(index),
      memoryTotalMiB: MEMORY_TOTAL_MIB,
      utilizationPercent: held ? between(95, 100) : 0,
      temperatureC: held ? between(58, 71) : between(29, 34),
      powerDrawW: held ? between(560, 690) + Math.random() : 68 + Math.random() * 6,
      powerLimitW: POWER_LIMIT_W,
    };
  });
}

function between(low: number, high: number): number {
  return low + Math.floor(Math.random() * (high - low + 1));
}

function gpuUuid(home: string, index: number): string {
  const hex = createHash('sha256').update(`${home}#${index}`).digest('hex');
  return `GPU-${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
