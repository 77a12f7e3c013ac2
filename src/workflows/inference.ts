import { records } from './activity-proxies.js';
import { runGpuStep } from './gpu-step.js';
import { runPipeline } from './pipeline.js';
import type { PipelineInput, PipelineResult } from './types.js';

/** One transfer run. */
export async function inference(input: PipelineInput): Promise<PipelineResult> {
  const current = { runId: input.runId, modelType: 'transfer' };
  return runPipeline(input, current, async () => {
    const outputs = await runGpuStep({ ...current, host: input.host, timeouts: input.timeouts });
    await records.recordRunCompleted({ runId: input.runId, outputs });
    return { runIds: [input.runId] };
  });
}
