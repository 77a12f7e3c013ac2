export { batchInference } from './batch.js';
export { enhance } from './enhance.js';
export { inference, upscale } from './single-run.js';
export { enhanceThenInference, inferenceThenUpscale } from './two-step.js';
