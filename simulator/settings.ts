import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SimulatorSettings {
  gpus: number;
  gpuName?: string;
  timeScale: number;
  modelLoadSeconds?: number;
  secondsPerChunk?: number;
  /**
   * One 4K-upscaler chunk at 10 steps: its 9 tiles are denoised in one silent sampling call. Default 11 640 s, the
   * 3 h 14 min between `Starting diffusion sampling` and `Completed diffusion sampling` of a real log
   * (nvidia-cosmos/cosmos-transfer1 issue #134); scaled by num_steps / 10.
   */
  upscaleSecondsPerChunk?: number;
}

export type ResolvedSettings = Required<SimulatorSettings>;

const DEFAULT_SETTINGS: ResolvedSettings = {
  gpus: 1,
  gpuName: 'NVIDIA H100 80GB HBM3',
  timeScale: 1,
  modelLoadSeconds: 180,
  secondsPerChunk: 540,
  upscaleSecondsPerChunk: 11_640,
};

export function settingsPath(home: string): string {
  return join(home, 'sim.json');
}

/** Read on every invocation, so a test may rewrite sim.json between commands. */
export function readSettings(home: string): ResolvedSettings {
  let stored: Partial<SimulatorSettings> = {};
  try {
    stored = JSON.parse(readFileSync(settingsPath(home), 'utf8')) as Partial<SimulatorSettings>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return { ...DEFAULT_SETTINGS, ...definedOnly(stored) };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== null)) as Partial<T>;
}
