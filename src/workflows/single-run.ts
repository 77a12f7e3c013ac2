import { records } from './activity-proxies.js';
import { runGpuStep } from './gpu-step.js';
import { runPipeline } from './pipeline.js';
import type { PipelineInput, PipelineResult } from './types.js';

/** A pipeline of exactly one GPU job whose outputs complete the run. */
async function runSingleRun(input: PipelineInput, modelType: string): Promise<PipelineResult> {
  const current = { runId: input.runId, modelType };
  return runPipeline(input, current, async () => {
    const outputs = await runGpuStep({ ...current, host: input.host, timeouts: input.timeouts });
    await records.recordRunCompleted({ runId: input.runId, outputs });
    return { runIds: [input.runId] };
  });
}

/** One transfer run. */
export async function inference(input: PipelineInput): Promise<PipelineResult> {
  return runSingleRun(input, 'transfer');
}

/** The 4K upscaler on a completed transfer run's output. */
export async function upscale(input: PipelineInput): Promise<PipelineResult> {
  return runSingleRun(input, 'upscale');
}
