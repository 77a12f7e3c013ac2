import { z } from 'zod';
import { findTextProblem } from '../core/text-rules.js';
import type { ModelType } from './model-type.js';
import { between, resolveWithDefaults, wholeBetween } from './params.js';
import { transfer1Failures } from './transfer1-failures.js';
import { assessInOrder, jobPaths, launchTransfer1 } from './transfer1-launch.js';
import { createTransfer1Tracker } from './transfer1-progress.js';
import { transfer1GpuMemoryMiB, transfer1HostMemoryPerGpuMiB, transfer1Md5, upscaleCheckpoints } from './transfer1-resources.js';
import { countChunks } from './transfer-spec.js';
import { readVideoResult, rolesByExtension } from './video-result.js';

export const upscaleParamsSchema = z.object({
  control_weight: between({ min: 0, max: 1 }).describe('weight of the upscale control'),
  num_steps: wholeBetween({ min: 1, max: 200 }).describe('diffusion steps'),
  // Blank would send an empty prompt, which the guardrail blocks as unsafe on the GPU; refuse it up front.
  prompt: z.string().superRefine((text, ctx) => {
    const problem = findTextProblem(text, 'the upscale prompt');
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }).optional().describe('prompt for the upscaler (none by default)'),
}).strict();

export type UpscaleParams = z.infer<typeof upscaleParamsSchema>;

/** 4K output from 3 × 3 tiles of the model's own resolution (transfer.py's upscale control). */
export const upscaleTiles = 9;

export const upscaleDefaults: UpscaleParams = { control_weight: 0.5, num_steps: 10 };

export function resolveUpscaleParams(input: Partial<UpscaleParams> = {}): UpscaleParams {
  return resolveWithDefaults(upscaleParamsSchema, upscaleDefaults, input);
}

/** The 4K upscaler: transfer.py with only an `upscale` control, fed the source run's output video. */
export const upscaleModel: ModelType<UpscaleParams> = {
  name: 'upscale',
  summary: 'Cosmos-Transfer1 4K upscaler of a completed transfer run\'s video',
  params: upscaleParamsSchema,
  defaults: upscaleDefaults,
  resolveParams: (input) => resolveUpscaleParams(input as Partial<UpscaleParams>),
  startsFrom: { runOf: ['transfer'] },
  servedByDefault: true,
  maxItemsPerJob: 1,
  failures: transfer1Failures,
  // The same 7B base model as a transfer run, its tiles denoised and decoded one after another.
  minFreeGpuMemoryMiB: transfer1GpuMemoryMiB,
  hostMemoryPerGpuMiB: transfer1HostMemoryPerGpuMiB,
  checkpoints: upscaleCheckpoints,
  checkpointMd5: transfer1Md5,

  planJob(context) {
    const { run, source } = context.items[0]!;
    if (!source?.outputs) throw new Error(`upscale run ${run.id} has no completed source run`);
    const video = source.outputs.files.find((f) => f.name === 'output.mp4');
    if (!video) throw new Error(`source run ${source.id} has no output.mp4`);
    const params = resolveUpscaleParams(run.executionConfig as Partial<UpscaleParams>);
    const paths = jobPaths(context);
    const spec = {
      input_video_path: `${paths.inputsDir}/input.mp4`,
      upscale: { control_weight: params.control_weight },
      ...(params.prompt !== undefined ? { prompt: params.prompt } : {}),
    };
    const specText = `${JSON.stringify(spec, null, 2)}\n`;
    const gpus = context.host.gpusPerJob;
    const frames = source.outputs.result?.kind === 'video' ? source.outputs.result.frames : 121;
    return {
      inputs: [{ linkName: 'input.mp4', file: video }],
      texts: { 'spec.json': specText },
      launch: launchTransfer1(context, gpus, 'cosmos_transfer1/diffusion/inference/transfer.py', [
        '--checkpoint_dir', 'checkpoints', '--controlnet_specs', paths.specPath,
        '--video_save_folder', paths.outputsDir, '--video_save_name', 'output_4k',
        '--num_steps', String(params.num_steps), '--offload_text_encoder_model', '--num_gpus', String(gpus),
      ]),
      logPath: paths.logPath,
      gpus,
      items: [{ runId: run.id, outputDir: '', localTexts: { 'spec.json': specText }, chunks: countChunks(frames) }],
    };
  },

  trackProgress: (plan) => createTransfer1Tracker(plan.items.map((i) => i.chunks), false),

  // The upscaler denoises all 9 tiles of a chunk in one sampling call and logs nothing in between: a real 4K log
  // is silent for 3 h 14 min inside one chunk (cosmos-transfer1 issue #134: 11:26:49 → 14:40:39 in one chunk), where a 121-frame transfer chunk is
  // silent well under the default 45 min. The silence allowed grows with the tiles and the steps of one call.
  hangTimeoutMs: ({ items }, configuredMs) => {
    const steps = resolveUpscaleParams(items[0]!.run.executionConfig as Partial<UpscaleParams>).num_steps;
    return configuredMs * upscaleTiles * Math.max(1, steps / upscaleDefaults.num_steps);
  },

  assessJob: (end, classify) => assessInOrder(end, () => 'output_4k.mp4', classify),

  async readResult(files) {
    return { roles: rolesByExtension(files, { 'spec.json': 'spec' }), result: await readVideoResult(files, 'output_4k.mp4') };
  },
};
