import { z } from 'zod';
import { between, preset, resolveWithDefaults, wholeBetween } from './params.js';

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

const weight = between(transferLimits.weight);

export const transferControls = ['vis', 'edge', 'depth', 'seg'] as const;
export type ControlName = (typeof transferControls)[number];

/** Everything a transfer run sends to the model; stored as the run's execution_config. */
export const transferParamsSchema = z.object({
  weights: z.object({ vis: weight, edge: weight, depth: weight, seg: weight }).strict()
    // All zero leaves Cosmos with no control block at all: it fails on the GPU after the upload; refuse it here.
    .refine((w) => w.vis + w.edge + w.depth + w.seg > 0, 'at least one control weight must be above 0')
    .describe('control weights (vis, edge, depth, seg), each 0..1'),
  num_steps: wholeBetween(transferLimits.num_steps).describe('diffusion steps'),
  guidance: between(transferLimits.guidance).describe('classifier-free guidance'),
  seed: wholeBetween(transferLimits.seed).describe('random seed'),
  // transfer.py writes the video at this rate whatever the input's (--fps, default 24): a 30 fps input would play
  // 25 % slow, so by default it is the input's own rate.
  fps: wholeBetween(transferLimits.fps).optional().describe('frames per second of the output (default: the input\'s, rounded)'),
  sigma_max: between(transferLimits.sigma_max).describe('how far the input is noised (80 = not at all used)'),
  blur_strength: preset.describe('blur preset of the vis control'),
  canny_threshold: preset.describe('edge-detector preset of the edge control'),
}).strict();

export type TransferParams = z.infer<typeof transferParamsSchema>;

export const transferDefaults: TransferParams = {
  weights: { vis: 0.25, edge: 0.25, depth: 0.25, seg: 0.25 },
  num_steps: 35, guidance: 5, seed: 1, sigma_max: 70, blur_strength: 'medium', canny_threshold: 'medium',
};

export type TransferParamsInput = Partial<Omit<TransferParams, 'weights'>> & { weights?: Partial<TransferParams['weights']> };

/** Applies the defaults and validates; throws a ZodError naming the field on bad input. */
export function resolveTransferParams(input: TransferParamsInput = {}): TransferParams {
  return resolveWithDefaults(transferParamsSchema, transferDefaults, input);
}
