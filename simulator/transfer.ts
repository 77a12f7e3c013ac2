import { mkdirSync } from 'node:fs';
import { parseArgs } from './argparse.js';
import { hostPathForWrite } from './container-fs.js';
import { requireCudaDevice } from './cuda-device.js';
import { killContainer, killLikeHostOom, missingCheckpointError } from './fault-effects.js';
import { generateBatch, type OutputTarget } from './generation.js';
import { checkPrompts, findBlockReason } from './guardrail.js';
import { createLogger } from './loguru.js';
import { frame } from './python-traceback.js';
import { faultFor, sleepSimulated, type SimContext } from './sim-context.js';
import { loadTransferInputs, type ControlBlock, type TransferArgs } from './spec-loading.js';
import { validateControlnetSpecs } from './spec-validation.js';
import { TRANSFER_ARGS } from './transfer-args.js';
import { readBatchItems } from './transfer-batch.js';
import { joinPython, prepareItem, type PreparedItem, type TransferItem } from './transfer-item.js';
import { upsamplePromptsInline } from './upsampler.js';

const TRANSFER = 'cosmos_transfer1/diffusion/inference/transfer.py';
const PIPELINE = 'cosmos_transfer1/diffusion/inference/world_generation_pipeline.py';

/** cosmos_transfer1/diffusion/inference/transfer.py: single mode, batch mode (JSONL) and the 4K upscaler. */
export async function runTransfer(context: SimContext, argv: string[]): Promise<void> {
  const namespace = parseArgs('transfer.py', TRANSFER_ARGS, argv);
  const { args, controls } = loadTransferInputs(namespace, argv, context.log);
  const numGpus = Number(args.num_gpus) || 1;
  if (numGpus > 1) {
    createLogger(0)('CRITICAL', 'cosmos_transfer1/utils/distributed.py:61:init', `Initialized distributed training with local rank ${context.localRank}`);
  }
  validateControlnetSpecs(args, controls, context.log);
  const folder = String(args.video_save_folder);
  mkdirSync(hostPathForWrite(folder), { recursive: true });
  const batchPath = args.batch_input_path;
  const items: TransferItem[] = typeof batchPath === 'string' && batchPath !== ''
    ? readBatchItems(context, batchPath, controls, folder)
    : [{ prompt: String(args.prompt ?? ''), inputVideo: String(args.input_video_path ?? ''), controls, workDir: folder, fault: undefined }];
  for (const item of items) item.fault = faultFor(context, item.prompt);

  await loadModels(context, args, controls, items);
  context.log('INFO', 'cosmos_transfer1/utils/misc.py:184:set_random_seed', `Using random seed ${String(args.seed)}.`);

  const upscale = 'upscale' in controls;
  let batchSize = Math.max(1, Number(args.batch_size) || 1);
  if (upscale && batchSize > 1) {
    context.log('INFO', `${TRANSFER}:297:demo`, 'Setting batch_size=1 as upscale does not support batch generation');
    batchSize = 1;
  }
  const settings = { fps: Number(args.fps), numSteps: Number(args.num_steps), contextParallel: numGpus, upscale };
  for (let start = 0; start < items.length; start += batchSize) {
    const prepared: PreparedItem[] = [];
    for (const item of items.slice(start, start + batchSize)) prepared.push(await prepareItem(context, item, upscale));
    context.log('INFO', `${TRANSFER}:340:demo`, `Running batch generation with batch_size=${prepared.length}`);
    if (args.upsample_prompt === true) await upsamplePromptsInline(context, prepared, folder);
    const safe = checkPrompts(context, prepared.map((item) => findBlockReason(item.prompt, item.fault === 'guardrail')));
    // The real saver numbers outputs by surviving videos, so a partly blocked batch shifts into the wrong folders.
    const targets = safe.map((index, k): OutputTarget => {
      const item = prepared[index] as PreparedItem;
      if (typeof batchPath === 'string' && batchPath !== '') {
        const dir = joinPython(folder, `video_${start + k}`);
        return { item, videoPath: joinPython(dir, 'output.mp4'), promptPath: joinPython(dir, 'prompt.txt') };
      }
      const name = String(args.video_save_name);
      return { item, videoPath: joinPython(folder, `${name}.mp4`), promptPath: joinPython(folder, `${name}.txt`) };
    });
    await generateBatch(context, targets, settings);
  }
}

async function loadModels(
  context: SimContext,
  args: TransferArgs,
  controls: Record<string, ControlBlock>,
  items: TransferItem[],
): Promise<void> {
  requireCudaDevice(context, frame(TRANSFER, 281, 'demo', 'pipeline = DiffusionControl2WorldGenerationPipeline('));
  const checkpointDir = String(args.checkpoint_dir);
  const baseModel = args.is_av_sample === true ? 'Cosmos-Transfer1-7B-Sample-AV' : 'Cosmos-Transfer1-7B';
  const loadSeconds = context.settings.modelLoadSeconds;
  context.log('INFO', `${PIPELINE}:141:_load_model`, 'Start creating base model');
  context.log('INFO', `${PIPELINE}:147:_load_model`, `Loading base model checkpoint (local): ${joinPython(checkpointDir, `nvidia/${baseModel}/base_model.pt`)}`);
  if (items.some((item) => item.fault === 'missing_checkpoint')) throw missingCheckpointError(checkpointDir);
  if (items.some((item) => item.fault === 'host_oom')) {
    await sleepSimulated(context, loadSeconds / 3);
    await killLikeHostOom(context);
  }
  if (items.some((item) => item.fault === 'killed' || item.fault === 'exit137')) {
    await sleepSimulated(context, loadSeconds / 3);
    killContainer(context);
  }
  await sleepSimulated(context, loadSeconds * 0.6);
  context.log('INFO', `${PIPELINE}:153:_load_model`, 'Done loading the base model checkpoint.');
  const controlCount = Object.keys(controls).length;
  for (const config of Object.values(controls)) {
    context.log('INFO', `${PIPELINE}:171:_load_network`, `Loading ctrl model from ckpt_path: ${String(config.ckpt_path)}`);
    await sleepSimulated(context, (loadSeconds * 0.4) / controlCount);
  }
}
