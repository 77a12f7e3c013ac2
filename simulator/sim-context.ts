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
  /**
   * torch.distributed is initialised (transfer.py calls distributed.init() only for --num_gpus > 1): until then
   * torch's rank is 0 in every process, so every process logs and saves as device rank 0.
   */
  distributed: boolean;
  /** `[rankN]: ` under torchrun: how tracebacks appear in a torchrun log. */
  tracebackPrefix: string;
  slowFactor: number;
}

export function createContext(home: string): SimContext {
  const underTorchrun = process.env.RANK !== undefined;
  const rank = Number(process.env.RANK ?? 0);
  const context: SimContext = {
    home,
    settings: readSettings(home),
    rank,
    localRank: Number(process.env.LOCAL_RANK ?? 0),
    worldSize: Number(process.env.WORLD_SIZE ?? 1),
    underTorchrun,
    containerName: process.env.COSMOS_SIM_CONTAINER ?? '',
    log: createLogger(() => (context.distributed ? rank : 0)),
    distributed: false,
    tracebackPrefix: underTorchrun ? `[rank${rank}]: ` : '',
    slowFactor: 1,
  };
  return context;
}

/** The rank torch.distributed reports (distributed.get_rank()): the torchrun rank once initialised, else 0. */
export function deviceRank(context: SimContext): number {
  return context.distributed ? context.rank : 0;
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
