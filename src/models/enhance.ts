import type { ModelType } from './model-job.js';

export const upsampledPromptMarker = 'Upsampled prompt:';

/**
 * The Pixtral prompt upsampler, run standalone under torchrun with one process. Its answer is a line in the
 * log; the prompt reaches it through a file the container shell reads, never through our command line.
 */
export const enhanceModel: ModelType = {
  name: 'enhance',
  planJob({ prompt }) {
    return {
      inputs: [{ linkName: 'color.mp4', file: prompt.inputs.video }],
      texts: { 'prompt.txt': prompt.promptText },
      modelArgs: (layout) => [
        'cosmos_transfer1/auxiliary/upsampler/inference/upsampler_pipeline.py',
        '--prompt', { contentsOf: `${layout.rel.inputsDir}/prompt.txt` },
        '--input_video', `${layout.rel.inputsDir}/color.mp4`,
        '--checkpoint_dir', 'checkpoints',
        '--offload_prompt_upsampler',
      ],
      gpus: () => 1,
      chunks: 1,
      primaryOutput: null,
    };
  },
};

/** The rewritten prompt from the upsampler's log, or null when it printed none (or an empty one). */
export function readUpsampledPrompt(log: string): string | null {
  const line = log.split(/\r?\n/).findLast((l) => l.includes(upsampledPromptMarker));
  const text = line?.slice(line.indexOf(upsampledPromptMarker) + upsampledPromptMarker.length).trim();
  return text ? text : null;
}
