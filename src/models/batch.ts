import type { Prompt, Run } from '../db/schema.js';
import type { ModelArg } from '../gpu/docker.js';
import type { JobLayout } from '../gpu/job-layout.js';
import type { StagedInput } from './model-job.js';
import { assertKnownSpecKeys, buildTransferSpec, countChunks, resolveTransferParams, selectJobInputs, type ControlName } from './transfer.js';

export interface BatchMember { run: Run; prompt: Prompt }

export interface BatchPlan {
  inputs: StagedInput[];
  texts: Record<string, string>;
  /** The spec each member effectively ran with (base spec merged with its line), kept with its outputs. */
  memberSpecs: string[];
  chunksPerItem: number[];
  modelArgs(layout: JobLayout, gpus: number): ModelArg[];
}

const controls: ControlName[] = ['vis', 'edge', 'depth', 'seg'];

/**
 * One transfer.py process for several prompts: strict JSONL (one compact object per line) plus a base spec holding
 * the union of the members' controls and the first member's video. Per-member weights travel as control_overrides,
 * because an override can change a control the spec has but cannot add one.
 */
export function planBatch(jobDir: string, members: BatchMember[]): BatchPlan {
  const inputsDir = `${jobDir}/inputs`;
  const inputs: StagedInput[] = [];
  const lines: Record<string, unknown>[] = [];
  const memberSpecs: string[] = [];
  const params = members.map((m) => resolveTransferParams(m.run.executionConfig));
  const union = controls.filter((c) => params.some((p) => p.weights[c] > 0));
  const first = members[0];
  if (!first) throw new Error('a batch needs at least one member');

  members.forEach(({ prompt }, i) => {
    const selected = selectJobInputs(prompt.inputs, params[i]!);
    const path = (name: string) => `${inputsDir}/${i}_${name}`;
    inputs.push({ linkName: `${i}_color.mp4`, file: selected.video! });
    if (selected.depth) inputs.push({ linkName: `${i}_depth.mp4`, file: selected.depth });
    if (selected.seg) inputs.push({ linkName: `${i}_segmentation.mp4`, file: selected.seg });
    const overrides = Object.fromEntries(union.map((c) => {
      const control = c === 'depth' || c === 'seg'
        ? { control_weight: params[i]!.weights[c], input_control: selected[c] ? path(c === 'depth' ? 'depth.mp4' : 'segmentation.mp4') : null }
        : { control_weight: params[i]!.weights[c] };
      return [c, control];
    }));
    lines.push({ visual_input: path('color.mp4'), prompt: prompt.promptText, control_overrides: overrides });
    memberSpecs.push(`${JSON.stringify(buildTransferSpec({ text: prompt.promptText, negative: first.prompt.negativePrompt }, params[i]!, {
      video: path('color.mp4'),
      ...(selected.depth ? { depth: path('depth.mp4') } : {}),
      ...(selected.seg ? { seg: path('segmentation.mp4') } : {}),
    }), null, 2)}\n`);
  });

  const unionWeights = Object.fromEntries(controls.map((c) => [c, union.includes(c) ? params.find((p) => p.weights[c] > 0)!.weights[c] : 0]));
  const base = buildTransferSpec({ text: first.prompt.promptText, negative: first.prompt.negativePrompt },
    { ...params[0]!, weights: unionWeights as never }, { video: `${inputsDir}/0_color.mp4` });
  assertKnownSpecKeys(base);
  return {
    inputs,
    texts: { 'spec.json': `${JSON.stringify(base, null, 2)}\n`, 'batch.jsonl': `${lines.map((l) => JSON.stringify(l)).join('\n')}\n` },
    memberSpecs,
    chunksPerItem: members.map((m) => countChunks(m.prompt.inputs.video.frames)),
    modelArgs: (layout, gpus) => [
      'cosmos_transfer1/diffusion/inference/transfer.py',
      '--checkpoint_dir', 'checkpoints',
      '--controlnet_specs', layout.rel.specPath,
      '--batch_input_path', `${layout.rel.inputsDir}/batch.jsonl`,
      '--batch_size', '1',
      '--video_save_folder', layout.rel.outputsDir,
      '--offload_text_encoder_model',
      '--offload_guardrail_models',
      '--num_gpus', String(gpus),
    ],
  };
}
