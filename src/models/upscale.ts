import { z } from 'zod';
import { findTextProblem } from '../core/text-rules.js';
import { countChunks } from './transfer.js';
import type { ModelType } from './model-job.js';

export const upscaleParamsSchema = z.object({
  control_weight: z.number({ error: 'must be a number between 0 and 1' }).finite('must be a number between 0 and 1').min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1'),
  num_steps: z.number({ error: 'must be a whole number between 1 and 200' }).int('must be a whole number between 1 and 200').min(1, 'must be a whole number between 1 and 200').max(200, 'must be a whole number between 1 and 200'),
  // Blank would send an empty prompt, which the guardrail blocks as unsafe on the GPU; refuse it up front.
  prompt: z.string().superRefine((text, ctx) => {
    const problem = findTextProblem(text, 'the upscale prompt');
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }).optional(),
}).strict();

export type UpscaleParams = z.infer<typeof upscaleParamsSchema>;

export const upscaleDefaults: UpscaleParams = { control_weight: 0.5, num_steps: 10 };

export function resolveUpscaleParams(input: Partial<UpscaleParams> = {}): UpscaleParams {
  return upscaleParamsSchema.parse({ ...upscaleDefaults, ...input });
}

/** The 4K upscaler: transfer.py with only an `upscale` control, fed the source run's output video. */
export const upscaleModel: ModelType = {
  name: 'upscale',
  planJob({ run, source }) {
    if (!source?.outputs) throw new Error(`upscale run ${run.id} has no completed source run`);
    const video = source.outputs.files.find((f) => f.name === 'output.mp4');
    if (!video) throw new Error(`source run ${source.id} has no output.mp4`);
    const params = resolveUpscaleParams(run.executionConfig as Partial<UpscaleParams>);
    const inputPath = `cosmos-jobs/${run.id}/inputs/input.mp4`;
    const spec = {
      input_video_path: inputPath,
      upscale: { control_weight: params.control_weight },
      ...(params.prompt !== undefined ? { prompt: params.prompt } : {}),
    };
    return {
      inputs: [{ linkName: 'input.mp4', file: video }],
      texts: { 'spec.json': `${JSON.stringify(spec, null, 2)}\n` },
      modelArgs: (layout, gpus) => [
        'cosmos_transfer1/diffusion/inference/transfer.py',
        '--checkpoint_dir', 'checkpoints',
        '--controlnet_specs', layout.rel.specPath,
        '--video_save_folder', layout.rel.outputsDir,
        '--video_save_name', 'output_4k',
        '--num_steps', String(params.num_steps),
        '--offload_text_encoder_model',
        '--num_gpus', String(gpus),
      ],
      gpus: (available) => available,
      chunks: countChunks(source.outputs.video?.frames ?? 121),
      primaryOutput: 'output_4k.mp4',
    };
  },
};
