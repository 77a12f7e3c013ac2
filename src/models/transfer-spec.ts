import type { PromptInputs } from '../db/schema.js';
import type { JobItem, StagedInput } from './model-type.js';
import { resolveTransferParams, transferControls, type TransferParams } from './transfer-params.js';

/** Paths as the container sees them. */
export interface JobInputPaths { video: string; depth?: string; seg?: string }

export function buildTransferSpec(
  prompt: { text: string; negative: string }, params: TransferParams, inputs: JobInputPaths, inputFps: number,
): Record<string, unknown> {
  const spec: Record<string, unknown> = {
    prompt: prompt.text,
    negative_prompt: prompt.negative,
    input_video_path: inputs.video,
    num_steps: params.num_steps,
    guidance: params.guidance,
    seed: params.seed,
    fps: params.fps ?? Math.min(120, Math.max(1, Math.round(inputFps))),
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

/** 121-frame chunks, one conditioning frame carried over: N_clip = ceil((T-1)/120). */
export function countChunks(frames: number): number {
  return Math.max(1, Math.ceil((frames - 1) / 120));
}

const linkNames = { video: 'color.mp4', depth: 'depth.mp4', seg: 'segmentation.mp4' } as const;

/** One item's inputs linked as `<prefix>color.mp4` etc. and the paths its spec names. */
export function stageItemInputs(inputsDir: string, item: JobItem, params: TransferParams, prefix = ''): { inputs: StagedInput[]; paths: JobInputPaths } {
  const selected = selectJobInputs(item.prompt.inputs, params);
  const pathOf = (role: keyof typeof linkNames) => `${inputsDir}/${prefix}${linkNames[role]}`;
  return {
    inputs: Object.entries(selected).map(([role, file]) => ({ linkName: `${prefix}${linkNames[role as keyof typeof linkNames]}`, file: file! })),
    paths: {
      video: pathOf('video'),
      ...(selected.depth ? { depth: pathOf('depth') } : {}),
      ...(selected.seg ? { seg: pathOf('seg') } : {}),
    },
  };
}

/**
 * One transfer.py process for several prompts: strict JSONL (one compact object per line) plus a base spec holding
 * the union of the members' controls and the first member's video. Per-member weights travel as control_overrides,
 * because an override can change a control the spec has but cannot add one.
 */
export function buildBatchSpecs(inputsDir: string, items: JobItem[]) {
  const params = items.map((item) => resolveTransferParams(item.run.executionConfig));
  const union = transferControls.filter((c) => params.some((p) => p.weights[c] > 0));
  const first = items[0];
  if (!first) throw new Error('a batch needs at least one member');
  const inputs: StagedInput[] = [];
  const lines: Record<string, unknown>[] = [];
  const memberSpecs: string[] = [];
  const controls: { params: TransferParams; paths: JobInputPaths }[] = [];
  items.forEach((item, i) => {
    const staged = stageItemInputs(inputsDir, item, params[i]!, `${i}_`);
    inputs.push(...staged.inputs);
    controls.push({ params: params[i]!, paths: staged.paths });
    const overrides = Object.fromEntries(union.map((c) => {
      const control = c === 'depth' || c === 'seg'
        ? { control_weight: params[i]!.weights[c], input_control: staged.paths[c] ?? null }
        : { control_weight: params[i]!.weights[c] };
      return [c, control];
    }));
    lines.push({ visual_input: staged.paths.video, prompt: item.prompt.promptText, control_overrides: overrides });
    memberSpecs.push(`${JSON.stringify(buildTransferSpec({ text: item.prompt.promptText, negative: first.prompt.negativePrompt }, params[i]!, staged.paths, item.prompt.inputs.video.fps), null, 2)}\n`);
  });
  const unionWeights = Object.fromEntries(transferControls.map((c) => [c, union.includes(c) ? params.find((p) => p.weights[c] > 0)!.weights[c] : 0]));
  const base = buildTransferSpec({ text: first.prompt.promptText, negative: first.prompt.negativePrompt },
    { ...params[0]!, weights: unionWeights as TransferParams['weights'] }, { video: `${inputsDir}/0_color.mp4` }, first.prompt.inputs.video.fps);
  assertKnownSpecKeys(base);
  return {
    inputs, memberSpecs, controls,
    texts: { 'spec.json': `${JSON.stringify(base, null, 2)}\n`, 'batch.jsonl': `${lines.map((l) => JSON.stringify(l)).join('\n')}\n` },
  };
}
