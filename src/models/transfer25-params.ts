import { z } from 'zod';
import { between, preset, resolveWithDefaults, wholeBetween } from './params.js';

/*
 * Cosmos-Transfer2.5 sample parameters, per cosmos_transfer2/config.py InferenceArguments and the control blocks
 * (EdgeConfig, BlurConfig, DepthConfig, SegConfig) at nvidia-cosmos/cosmos-transfer2.5@2ff49d0: guidance is an
 * integer 0..7 (default 3), seed defaults to 2025, resolution and sigma_max are strings in the spec.
 */
export const transfer25Controls = ['edge', 'vis', 'depth', 'seg'] as const;
export type Transfer25Control = (typeof transfer25Controls)[number];

const weight = between({ min: 0, max: 1 });

export const transfer25ParamsSchema = z.object({
  weights: z.object({ edge: weight, vis: weight, depth: weight, seg: weight }).strict()
    // config.py: "No controls provided, please provide at least one control key" — checked here, before any upload.
    .refine((w) => w.edge + w.vis + w.depth + w.seg > 0, 'at least one control weight must be above 0')
    .describe('control weights (edge, vis, depth, seg), each 0..1; a control at 0 is left out'),
  num_steps: wholeBetween({ min: 1, max: 200 }).describe('diffusion steps (the distilled edge model takes 4)'),
  guidance: wholeBetween({ min: 0, max: 7 }).describe('classifier-free guidance, a whole number 0..7'),
  seed: wholeBetween({ min: 0, max: 2 ** 32 - 1 }).describe('random seed'),
  resolution: z.enum(['480', '512', '720', '1024', '1080']).describe('model resolution'),
  sigma_max: between({ min: 0, max: 200 }).optional().describe('how far the input is noised (200 = pure noise; none: the input is not the starting latent)'),
  edge_threshold: preset.describe('edge-detector preset (preset_edge_threshold)'),
  blur_strength: preset.describe('blur preset of the vis control (preset_blur_strength)'),
  keep_input_resolution: z.boolean().describe('output at the input\'s size (else at the model\'s)'),
  distilled: z.boolean().describe('the distilled 4-step edge model (--model edge/distilled)'),
}).strict().superRefine((p, ctx) => {
  // Only edge has a distilled checkpoint (MODEL_CHECKPOINTS[ModelKey(..., distilled=True)], cosmos_transfer2/inference.py).
  if (p.distilled && (p.weights.vis > 0 || p.weights.depth > 0 || p.weights.seg > 0 || p.weights.edge === 0)) {
    ctx.addIssue({ code: 'custom', path: ['distilled'], message: 'the distilled model takes the edge control only (set the other weights to 0)' });
  }
});

export type Transfer25Params = z.infer<typeof transfer25ParamsSchema>;

export const transfer25Defaults: Transfer25Params = {
  weights: { edge: 1, vis: 0, depth: 0, seg: 0 },
  num_steps: 35, guidance: 3, seed: 2025, resolution: '720', edge_threshold: 'medium', blur_strength: 'medium',
  keep_input_resolution: true, distilled: false,
};

export function resolveTransfer25Params(input: Record<string, unknown> = {}): Transfer25Params {
  // The distilled model samples in 4 steps; 35 (the base default) would run it far past what it was trained for.
  const distilledSteps = input.distilled === true && input.num_steps === undefined ? { num_steps: 4 } : {};
  return resolveWithDefaults(transfer25ParamsSchema as unknown as z.ZodType<Transfer25Params>, transfer25Defaults, { ...input, ...distilledSteps });
}
