import { records } from './activity-proxies.js';
import { runGpuStep } from './gpu-step.js';
import { runPipeline, type CurrentRun } from './pipeline.js';
import type { PipelineInput, PipelineResult } from './types.js';

/** The enhance step shared by `enhance` and `enhanceThenInference`: returns the new prompt's id. */
export async function runEnhanceStep(input: PipelineInput): Promise<string> {
  const outputs = await runGpuStep({ runId: input.runId, modelType: 'enhance', host: input.host, timeouts: input.timeouts });
  const enhancedPromptId = await records.recordEnhancedPrompt({ runId: input.runId, text: outputs.enhancedText! });
  await records.recordRunCompleted({ runId: input.runId, outputs: { ...outputs, enhancedPromptId } });
  return enhancedPromptId;
}

/** Rewrites the prompt with the Pixtral upsampler into a new prompt `<name>_enhanced`. */
export async function enhance(input: PipelineInput): Promise<PipelineResult & { enhancedPromptId: string }> {
  const current: CurrentRun = { runId: input.runId, modelType: 'enhance' };
  return runPipeline(input, current, async () => ({ runIds: [input.runId], enhancedPromptId: await runEnhanceStep(input) }));
}
