export { batchInference } from './batch.js';
export { enhance } from './enhance.js';
export { inference } from './inference.js';
export { enhanceThenInference, inferenceThenUpscale } from './two-step.js';
export { upscale } from './upscale.js';
