export { runBatch, runModel } from './run-model.js';
