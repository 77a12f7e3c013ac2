import { z } from 'zod';
import type { PromptInputs } from '../db/schema.js';
import type { ModelType } from './model-job.js';

/**
 * The seed seeds numpy (`np.random.seed(seed)` in cosmos_transfer1/utils/misc.py set_random_seed, and
 * `np.random.RandomState(seed + i_clip)` per chunk in world_generation_pipeline.py, nvidia-cosmos/cosmos-transfer1
 * @5005e82), which accepts 0..2^32-1; the model reads at most 5000 frames (NUM_MAX_FRAMES, inference_utils.py),
 * i.e. 42 chunks, so the largest seed every chunk can use is 2^32 - 1 - 41.
 */
export const maxSeed = 2 ** 32 - 1 - 41;

/** Bounds of every numeric parameter: the CLI, the API and the error messages all read them from here. */
export const transferLimits = {
  weight: { min: 0, max: 1 }, num_steps: { min: 1, max: 200 }, guidance: { min: 0, max: 30 },
  seed: { min: 0, max: maxSeed }, fps: { min: 1, max: 120 }, sigma_max: { min: 0, max: 80 },
} as const;

const between = ({ min, max }: { min: number; max: number }) => z.number({ error: `must be a number between ${min} and ${max}` })
  .finite(`must be a number between ${min} and ${max}`).min(min, `must be between ${min} and ${max}`).max(max, `must be between ${min} and ${max}`);
const wholeBetween = (limits: { min: number; max: number }) => between(limits).int(`must be a whole number between ${limits.min} and ${limits.max}`);

const weight = between(transferLimits.weight);
const preset = z.enum(['very_low', 'low', 'medium', 'high', 'very_high']);

/** Everything a transfer run sends to the model; stored as the run's execution_config. */
export const transferParamsSchema = z.object({
  weights: z.object({ vis: weight, edge: weight, depth: weight, seg: weight }).strict()
    // All zero leaves Cosmos with no control block at all: it fails on the GPU after the upload; refuse it here.
    .refine((w) => w.vis + w.edge + w.depth + w.seg > 0, 'at least one control weight must be above 0'),
  num_steps: wholeBetween(transferLimits.num_steps),
  guidance: between(transferLimits.guidance),
  seed: wholeBetween(transferLimits.seed),
  fps: wholeBetween(transferLimits.fps),
  sigma_max: between(transferLimits.sigma_max),
  blur_strength: preset,
  canny_threshold: preset,
}).strict();

export type TransferParams = z.infer<typeof transferParamsSchema>;
export type ControlName = keyof TransferParams['weights'];

export const transferDefaults: TransferParams = {
  weights: { vis: 0.25, edge: 0.25, depth: 0.25, seg: 0.25 },
  num_steps: 35, guidance: 5, seed: 1, fps: 24, sigma_max: 70, blur_strength: 'medium', canny_threshold: 'medium',
};

export type TransferParamsInput = Partial<Omit<TransferParams, 'weights'>> & { weights?: Partial<TransferParams['weights']> };

/** Applies the defaults and validates; throws a ZodError naming the field on bad input. */
export function resolveTransferParams(input: TransferParamsInput = {}): TransferParams {
  return transferParamsSchema.parse({
    ...transferDefaults, ...input, weights: { ...transferDefaults.weights, ...input.weights },
  });
}

/** Paths as seen from /workspace inside the container. */
export interface JobInputPaths { video: string; depth?: string; seg?: string }

export function buildTransferSpec(
  prompt: { text: string; negative: string }, params: TransferParams, inputs: JobInputPaths,
): Record<string, unknown> {
  const spec: Record<string, unknown> = {
    prompt: prompt.text,
    negative_prompt: prompt.negative,
    input_video_path: inputs.video,
    num_steps: params.num_steps,
    guidance: params.guidance,
    seed: params.seed,
    fps: params.fps,
    sigma_max: params.sigma_max,
    blur_strength: params.blur_strength,
    canny_threshold: params.canny_threshold,
  };
  const { vis, edge, depth, seg } = params.weights;
  if (vis > 0) spec.vis = { control_weight: vis };
  if (edge > 0) spec.edge = { control_weight: edge };
  if (depth > 0) spec.depth = { control_weight: depth, ...(inputs.depth ? { input_control: inputs.depth } : {}) };
  if (seg > 0) spec.seg = { control_weight: seg, ...(inputs.seg ? { input_control: inputs.seg } : {}) };
  return spec;
}

const allowedSpecKeys = new Set([
  'prompt', 'negative_prompt', 'input_video_path', 'num_steps', 'guidance', 'seed', 'fps', 'sigma_max',
  'blur_strength', 'canny_threshold', 'vis', 'edge', 'depth', 'seg',
]);
const allowedControlKeys = new Set(['control_weight', 'input_control']);

/** Cosmos silently ignores unknown keys, so a typo would change nothing without a word; we refuse instead. */
export function assertKnownSpecKeys(spec: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(spec)) {
    if (!allowedSpecKeys.has(key)) throw new Error(`spec key "${key}" is not one Cosmos-Transfer1 reads`);
    if (value && typeof value === 'object') {
      for (const inner of Object.keys(value)) {
        if (!allowedControlKeys.has(inner)) throw new Error(`spec key "${key}.${inner}" is not one Cosmos-Transfer1 reads`);
      }
    }
  }
}

/** Which prompt inputs a run needs on the host (a control video is only sent when its control is on). */
export function selectJobInputs(inputs: PromptInputs, params: TransferParams): Partial<Record<'video' | 'depth' | 'seg', PromptInputs['video']>> {
  return {
    video: inputs.video,
    ...(inputs.depth && params.weights.depth > 0 ? { depth: inputs.depth } : {}),
    ...(inputs.seg && params.weights.seg > 0 ? { seg: inputs.seg } : {}),
  };
}

export function transferModelArgs(job: { specPath: string; outputDir: string; gpus: number }): string[] {
  return [
    'cosmos_transfer1/diffusion/inference/transfer.py',
    '--checkpoint_dir', 'checkpoints',
    '--controlnet_specs', job.specPath,
    '--video_save_folder', job.outputDir,
    '--video_save_name', 'output',
    '--offload_text_encoder_model',
    '--offload_guardrail_models',
    '--num_gpus', String(job.gpus),
  ];
}

/** 121-frame chunks, one conditioning frame carried over: N_clip = ceil((T-1)/120). */
export function countChunks(frames: number): number {
  return Math.max(1, Math.ceil((frames - 1) / 120));
}

const inputLinkNames = { video: 'color.mp4', depth: 'depth.mp4', seg: 'segmentation.mp4' } as const;

export const transferModel: ModelType = {
  name: 'transfer',
  planJob({ run, prompt }) {
    const params = resolveTransferParams(run.executionConfig);
    const selected = selectJobInputs(prompt.inputs, params);
    const inputsDir = `cosmos-jobs/${run.id}/inputs`;
    const pathOf = (role: keyof typeof inputLinkNames) => `${inputsDir}/${inputLinkNames[role]}`;
    const spec = buildTransferSpec({ text: prompt.promptText, negative: prompt.negativePrompt }, params, {
      video: pathOf('video'),
      ...(selected.depth ? { depth: pathOf('depth') } : {}),
      ...(selected.seg ? { seg: pathOf('seg') } : {}),
    });
    assertKnownSpecKeys(spec);
    return {
      inputs: Object.entries(selected).map(([role, file]) => ({ linkName: inputLinkNames[role as keyof typeof inputLinkNames], file: file! })),
      texts: { 'spec.json': `${JSON.stringify(spec, null, 2)}\n` },
      modelArgs: (layout, gpus) => transferModelArgs({ specPath: layout.rel.specPath, outputDir: layout.rel.outputsDir, gpus }),
      gpus: (available) => available,
      chunks: countChunks(prompt.inputs.video.frames),
      primaryOutput: 'output.mp4',
    };
  },
};
