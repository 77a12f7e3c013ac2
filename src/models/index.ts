import { enhanceModel } from './enhance.js';
import type { ModelType } from './model-job.js';
import { transferModel } from './transfer.js';
import { upscaleModel } from './upscale.js';

export type { JobPlan, JobContext, ModelType, StagedInput } from './model-job.js';

const modelTypes: Record<string, ModelType> = {
  [transferModel.name]: transferModel,
  [enhanceModel.name]: enhanceModel,
  [upscaleModel.name]: upscaleModel,
};

export function findModelType(name: string): ModelType {
  const model = modelTypes[name];
  if (!model) throw new Error(`unknown model type "${name}" (known: ${Object.keys(modelTypes).join(', ')})`);
  return model;
}
