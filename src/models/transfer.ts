import type { ModelType } from './model-type.js';
import { transfer1Failures } from './transfer1-failures.js';
import { assessInOrder, jobPaths, launchTransfer1, onTheFlyModels } from './transfer1-launch.js';
import { createTransfer1Tracker } from './transfer1-progress.js';
import { transfer1GpuMemoryMiB, transfer1HostMemoryPerGpuMiB, transfer1Md5, transferCheckpoints } from './transfer1-resources.js';
import { resolveTransferParams, transferDefaults, transferParamsSchema, type TransferParams } from './transfer-params.js';
import { assertKnownSpecKeys, buildBatchSpecs, buildTransferSpec, countChunks, stageItemInputs } from './transfer-spec.js';
import { readVideoResult, rolesByExtension } from './video-result.js';

const script = 'cosmos_transfer1/diffusion/inference/transfer.py';
const common = (gpus: number) => ['--offload_text_encoder_model', '--offload_guardrail_models', '--num_gpus', String(gpus)];

/** Cosmos-Transfer1 7B: video-to-video guided by vis, edge, depth and seg controls (transfer.py under torchrun). */
export const transferModel: ModelType<TransferParams> = {
  name: 'transfer',
  summary: 'Cosmos-Transfer1: video to video guided by vis, edge, depth and segmentation controls',
  params: transferParamsSchema,
  defaults: transferDefaults,
  resolveParams: (input) => resolveTransferParams(input),
  startsFrom: 'prompt',
  servedByDefault: true,
  maxItemsPerJob: 100,
  failures: transfer1Failures,
  minFreeGpuMemoryMiB: transfer1GpuMemoryMiB,
  hostMemoryPerGpuMiB: transfer1HostMemoryPerGpuMiB,
  checkpoints: transferCheckpoints,
  checkpointMd5: transfer1Md5,
  hfCacheModels: (host) => ({ cache: host.hfCache, repos: { 'depth computed on the fly': onTheFlyModels.depth, 'segmentation computed on the fly': onTheFlyModels.seg } }),

  planJob(context) {
    const paths = jobPaths(context);
    const gpus = context.host.gpusPerJob;
    const { items } = context;
    if (items.length === 1) {
      const item = items[0]!;
      const params = resolveTransferParams(item.run.executionConfig);
      const staged = stageItemInputs(paths.inputsDir, item, params);
      const spec = buildTransferSpec({ text: item.prompt.promptText, negative: item.prompt.negativePrompt }, params, staged.paths, item.prompt.inputs.video.fps);
      assertKnownSpecKeys(spec);
      const specText = `${JSON.stringify(spec, null, 2)}\n`;
      return {
        inputs: staged.inputs,
        texts: { 'spec.json': specText },
        ...hfModelsOf(context.host.hfCache, [{ params, paths: staged.paths }]),
        launch: launchTransfer1(context, gpus, script, [
          '--checkpoint_dir', 'checkpoints', '--controlnet_specs', paths.specPath,
          '--video_save_folder', paths.outputsDir, '--video_save_name', 'output', ...common(gpus),
        ]),
        logPath: paths.logPath,
        gpus,
        items: [{ runId: item.run.id, outputDir: '', localTexts: { 'spec.json': specText }, chunks: countChunks(item.prompt.inputs.video.frames) }],
      };
    }
    const batch = buildBatchSpecs(paths.inputsDir, items);
    return {
      inputs: batch.inputs,
      texts: batch.texts,
      ...hfModelsOf(context.host.hfCache, batch.controls),
      launch: launchTransfer1(context, gpus, script, [
        '--checkpoint_dir', 'checkpoints', '--controlnet_specs', paths.specPath,
        '--batch_input_path', `${paths.inputsDir}/batch.jsonl`, '--batch_size', '1',
        '--video_save_folder', paths.outputsDir, ...common(gpus),
      ]),
      logPath: paths.logPath,
      gpus,
      // transfer.py writes item i of a batch to video_<i>/output.mp4 and its prompt to video_<i>/prompt.txt.
      items: items.map((item, i) => ({
        runId: item.run.id, outputDir: `video_${i}`, localName: (name) => (name === 'prompt.txt' ? 'output.txt' : name),
        localTexts: { 'spec.json': batch.memberSpecs[i]! }, chunks: countChunks(item.prompt.inputs.video.frames),
      })),
    };
  },

  // A batch keeps one control set for all its members (the base spec holds their union), so any may share one.
  batchKey: () => 'transfer',

  trackProgress: (plan) => createTransfer1Tracker(plan.items.map((i) => i.chunks), plan.items.length > 1),

  assessJob: (end, classify) => assessInOrder(end, (i) => (end.plan.items.length > 1 ? `video_${i}/output.mp4` : 'output.mp4'), classify),

  async readResult(files) {
    return { roles: rolesByExtension(files, { 'output.mp4': 'video', 'output.txt': 'prompt', 'spec.json': 'spec' }), result: await readVideoResult(files, 'output.mp4') };
  },
};

/** The models a control computed on the fly loads (a control on without its own video is computed from the input). */
function hfModelsOf(cache: string, items: { params: TransferParams; paths: { depth?: string; seg?: string } }[]) {
  const repos = new Set<string>();
  for (const { params, paths } of items) {
    if (params.weights.depth > 0 && !paths.depth) onTheFlyModels.depth.forEach((r) => repos.add(r));
    if (params.weights.seg > 0 && !paths.seg) onTheFlyModels.seg.forEach((r) => repos.add(r));
  }
  return repos.size > 0 ? { hfModels: { cache, repos: [...repos] } } : {};
}
