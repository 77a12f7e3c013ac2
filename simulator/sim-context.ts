import { findFault, type FaultMode } from './faults.js';
import { createLogger, type Logger } from './loguru.js';
import { readSettings, type ResolvedSettings } from './settings.js';

/** What the fake model knows about where it runs: the simulator settings, its torchrun rank and its container. */
export interface SimContext {
  home: string;
  settings: ResolvedSettings;
  rank: number;
  localRank: number;
  worldSize: number;
  underTorchrun: boolean;
  containerName: string;
  log: Logger;
  /** `[rankN]: ` under torchrun: how tracebacks appear in a torchrun log. */
  tracebackPrefix: string;
  slowFactor: number;
}

export function createContext(home: string): SimContext {
  const underTorchrun = process.env.RANK !== undefined;
  const rank = Number(process.env.RANK ?? 0);
  return {
    home,
    settings: readSettings(home),
    rank,
    localRank: Number(process.env.LOCAL_RANK ?? 0),
    worldSize: Number(process.env.WORLD_SIZE ?? 1),
    underTorchrun,
    containerName: process.env.COSMOS_SIM_CONTAINER ?? '',
    log: createLogger(rank),
    tracebackPrefix: underTorchrun ? `[rank${rank}]: ` : '',
    slowFactor: 1,
  };
}

export function faultFor(context: SimContext, prompt: string): FaultMode | undefined {
  const fault = findFault(context.home, prompt, context.containerName);
  if (fault === 'slow') context.slowFactor = 5;
  return fault;
}

/** Sleeps for `simulatedSeconds` of model time, scaled by the simulator's timeScale. */
export function sleepSimulated(context: SimContext, simulatedSeconds: number): Promise<void> {
  const ms = simulatedSeconds * context.settings.timeScale * context.slowFactor * 1000;
  return new Promise((resolve) => setTimeout(resolve, ms));
}
