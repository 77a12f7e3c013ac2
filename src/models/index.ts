import type { GpuHostConfig } from '../config.js';
import { InputError } from '../core/input-error.js';
import { enhanceModel } from './enhance.js';
import type { ModelType, PlanContext } from './model-type.js';
import { transferModel } from './transfer.js';
import { transfer25Model } from './transfer25.js';
import { upscaleModel } from './upscale.js';

export type * from './model-type.js';

/** Every model type, in the order `cosmos run --help` lists them. Adding a model is a module and a line here. */
const modelTypes: ModelType[] = [
  transferModel as unknown as ModelType,
  enhanceModel as unknown as ModelType,
  upscaleModel as unknown as ModelType,
  transfer25Model as unknown as ModelType,
];

export const listModelTypes = (): readonly ModelType[] => modelTypes;
export const modelTypeNames = (): string[] => modelTypes.map((m) => m.name);

export function findModelType(name: string): ModelType {
  const model = modelTypes.find((m) => m.name === name);
  if (!model) throw new InputError(`unknown model type "${name}" (known: ${modelTypeNames().join(', ')})`);
  return model;
}

/** Whether the host runs this model type: the ones it lists, or (listing none) those served by default. */
export function hostServes(host: GpuHostConfig, modelType: string): boolean {
  return host.models ? modelType in host.models : findModelType(modelType).servedByDefault;
}

/**
 * The host's settings for a model type, as its plan sees them: its own entry over the host's image and folders,
 * the host's mounts then its own, and its own env (the host's env goes to the env file with it).
 */
export function hostSettingsFor(host: GpuHostConfig, modelType: string): PlanContext['host'] {
  const own = host.models?.[modelType];
  return {
    image: own?.image ?? host.image,
    workspace: own?.workspace ?? host.remote_dir,
    ...(own?.checkpoints ? { checkpoints: own.checkpoints } : {}),
    // One cache per host, kept between containers: a model fetched once is not fetched again by the next job.
    hfCache: own?.hf_cache ?? `${host.remote_dir}/cosmos-cache/huggingface`,
    env: { ...own?.env },
    mounts: [...host.mounts, ...(own?.mounts ?? [])],
    ...(own?.hang_timeout ? { hangTimeout: own.hang_timeout } : {}),
    remoteDir: host.remote_dir,
    gpusPerJob: host.gpus_per_job,
  };
}
