import { uuid4, workflowInfo } from '@temporalio/workflow';
import { records } from './activity-proxies.js';
import { runEnhanceStep } from './enhance.js';
import { runGpuStep } from './gpu-step.js';
import { runPipeline, type CurrentRun } from './pipeline.js';
import type { EnhanceThenInferenceInput, InferenceThenUpscaleInput, PipelineResult } from './types.js';

// Both steps are activities in one workflow rather than child workflows: the history reads as the step list,
// a cancel reaches whichever step is running, and each run row still records this workflow as its driver.
// The second run's id comes from uuid4(), which is replay-safe, so a retried insert finds the same row.
const nextRunId = () => `rs_${uuid4().replaceAll('-', '')}`;

/** Enhance the prompt, then run inference on the enhanced prompt. A failed enhance never starts the inference. */
export async function enhanceThenInference(input: EnhanceThenInferenceInput): Promise<PipelineResult> {
  const current: CurrentRun = { runId: input.runId, modelType: 'enhance' };
  return runPipeline(input, current, async () => {
    const enhancedPromptId = await runEnhanceStep(input);
    const runId = nextRunId();
    await records.createFollowUpRun({
      id: runId, promptId: enhancedPromptId, modelType: 'transfer', executionConfig: input.inferenceParams,
      workflowId: workflowInfo().workflowId, gpuHost: input.host,
    });
    Object.assign(current, { runId, modelType: 'transfer' });
    const outputs = await runGpuStep({ ...current, host: input.host, timeouts: input.timeouts });
    await records.recordRunCompleted({ runId, outputs });
    return { runIds: [input.runId, runId] };
  });
}

/** Run inference, then the 4K upscaler on its output. A failed inference never starts the upscale. */
export async function inferenceThenUpscale(input: InferenceThenUpscaleInput): Promise<PipelineResult> {
  const current: CurrentRun = { runId: input.runId, modelType: 'transfer' };
  return runPipeline(input, current, async () => {
    const outputs = await runGpuStep({ ...current, host: input.host, timeouts: input.timeouts });
    await records.recordRunCompleted({ runId: input.runId, outputs });
    const runId = nextRunId();
    await records.createFollowUpRun({
      id: runId, promptId: input.promptId, modelType: 'upscale', executionConfig: input.upscaleParams,
      parentRunId: input.runId, workflowId: workflowInfo().workflowId, gpuHost: input.host,
    });
    Object.assign(current, { runId, modelType: 'upscale' });
    const upscaled = await runGpuStep({ ...current, host: input.host, timeouts: input.timeouts });
    await records.recordRunCompleted({ runId, outputs: upscaled });
    return { runIds: [input.runId, runId] };
  });
}
