import { mkdirSync, readFileSync } from 'node:fs';
import { parseArgs } from './argparse.js';
import { hostPathForRead, hostPathForWrite } from './container-fs.js';
import { requireCudaDevice } from './cuda-device.js';
import { killContainer, killLikeHostOom, missingCheckpointError } from './fault-effects.js';
import type { FaultMode } from './faults.js';
import { generateBatch } from './generation.js';
import { frame, PythonException } from './python-traceback.js';
import { faultFor, sleepSimulated, type SimContext } from './sim-context.js';
import { loadTransferInputs, type ControlBlock, type TransferArgs } from './spec-loading.js';
import { pythonTruthy, validateControlnetSpecs } from './spec-validation.js';
import { TRANSFER_ARGS } from './transfer-args.js';
import { itemControls, readBatchEntries, type BatchEntry } from './transfer-batch.js';
import { joinPython, preprocessItem, type PreprocessorState, type TransferItem } from './transfer-item.js';
import { initInlineUpsampler } from './upsampler.js';

/*
 * cosmos_transfer1/diffusion/inference/transfer.py at cosmos-transfer1@5005e82 (paths relative to that repo):
 * single mode, batch mode (JSONL) and the 4K upscaler, in the order of its demo().
 */
const TRANSFER = 'cosmos_transfer1/diffusion/inference/transfer.py';
const PIPELINE = 'cosmos_transfer1/diffusion/inference/world_generation_pipeline.py';
const DISTRIBUTED = 'cosmos_transfer1/utils/distributed.py';

export async function runTransfer(context: SimContext, argv: string[]): Promise<void> {
  const namespace = parseArgs('transfer.py', TRANSFER_ARGS, argv);
  const { args, controls } = loadTransferInputs(namespace, argv, context.log);
  validateControlnetSpecs(args, controls, context.log);
  context.log('INFO', 'cosmos_transfer1/utils/misc.py:160:set_random_seed', `Using random seed ${String(args.seed)}.`);
  const numGpus = Number(args.num_gpus) || 1;
  if (numGpus > 1) initDistributed(context);
  const distilled = args.use_distilled === true;
  if (distilled) {
    if (args.is_av_sample === true) {
      throw new PythonException('AssertionError', '', [frame(TRANSFER, 433, '<module>', 'demo(args, control_inputs)'), frame(TRANSFER, 236, 'demo', 'assert not cfg.is_av_sample')]);
    }
    if (args.save_input_noise === true) {
      throw new PythonException('AssertionError', 'Saving input noise is not supported for distilled models', [
        frame(TRANSFER, 433, '<module>', 'demo(args, control_inputs)'),
        frame(TRANSFER, 237, 'demo', 'assert not cfg.save_input_noise, "Saving input noise is not supported for distilled models"'),
      ]);
    }
  }
  const batchPath = pythonTruthy(args.batch_input_path) ? String(args.batch_input_path) : undefined;
  // The fault rules of a run are read up front (a test hook, not model behaviour): from its prompt, or its batch file's.
  const faults = (batchPath === undefined ? [String(args.prompt ?? '')] : peekBatchPrompts(batchPath)).map((p) => faultFor(context, p));
  const network = loadNetworkFor(context, args, controls, distilled, faults);
  await loadPipeline(context, args, controls, distilled, network, faults);

  let entries: BatchEntry[];
  if (batchPath !== undefined) {
    entries = readBatchEntries(context, batchPath);
  } else {
    entries = [{ prompt: String(args.prompt ?? ''), inputVideo: String(args.input_video_path ?? ''), overrides: undefined }];
  }
  const upscale = 'upscale' in controls;
  let batchSize = Math.max(1, Number(args.batch_size) || 1);
  if (upscale && batchSize > 1) {
    batchSize = 1;
    context.log('INFO', `${TRANSFER}:293:demo`, 'Setting batch_size=1 as upscale does not support batch generation');
  }
  const folder = String(args.video_save_folder);
  mkdirSync(hostPathForWrite(folder), { recursive: true });
  const preprocessors: PreprocessorState = { loaded: new Set() };
  for (let start = 0; start < entries.length; start += batchSize) {
    const items: TransferItem[] = [];
    let saveFolder = folder;
    for (const [i, entry] of entries.slice(start, start + batchSize).entries()) {
      saveFolder = batchPath !== undefined ? joinPython(folder, `video_${start + i}`) : folder;
      const item: TransferItem = {
        prompt: entry.prompt,
        inputVideo: entry.inputVideo,
        controls: itemControls(context, controls, entry.overrides),
        workDir: saveFolder,
        fault: faultFor(context, entry.prompt),
      };
      await preprocessItem(context, item, preprocessors, { blurStrength: String(args.blur_strength), cannyThreshold: String(args.canny_threshold) });
      items.push(item);
    }
    await generateBatch(context, items, start, {
      fps: Number(args.fps),
      numSteps: Number(args.num_steps),
      contextParallel: numGpus,
      upscale,
      distilled,
      offloadNetwork: args.offload_diffusion_transformer === true,
      saveInputNoise: args.save_input_noise === true,
      controlCount: Object.keys(controls).length,
      upsample: args.upsample_prompt === true && {
        specControls: controls,
        offload: args.offload_prompt_upsampler === true,
        checkpointDir: String(args.checkpoint_dir),
        blurStrength: String(args.blur_strength),
        cannyThreshold: String(args.canny_threshold),
      },
      batchMode: batchPath !== undefined,
      videoSaveFolder: folder,
      videoSaveName: String(args.video_save_name),
      saveFolder,
      loadNetwork: () => network(true),
    });
  }
}

/**
 * transfer.py:222-231 → utils/distributed.py:44-73 init() for --num_gpus > 1: NVML finds the device of LOCAL_RANK
 * (all the container's GPUs are visible to NVML), NCCL starts, and from then on loguru prints only on rank 0. The
 * CRITICAL line is logged with rank0_only=False: every rank prints it, prefixed `[RANK r]`.
 */
function initDistributed(context: SimContext): void {
  const frames = [frame(TRANSFER, 433, '<module>', 'demo(args, control_inputs)'), frame(TRANSFER, 227, 'demo', 'distributed.init()')];
  const visible = process.env.CUDA_VISIBLE_DEVICES ?? '';
  if (visible.trim() === '') {
    throw new PythonException('pynvml.NVMLError_LibraryNotFound', 'NVML Shared Library Not Found', [...frames, frame(DISTRIBUTED, 47, 'init', 'pynvml.nvmlInit()')]);
  }
  if (context.localRank >= visible.split(',').length) {
    throw new PythonException('pynvml.NVMLError_InvalidArgument', 'Invalid Argument', [
      ...frames,
      frame(DISTRIBUTED, 49, 'init', 'device = Device(local_rank)', '             ^^^^^^^^^^^^^^^^^^'),
      frame('cosmos_transfer1/utils/device.py', 44, '__init__', 'self.handle = pynvml.nvmlDeviceGetHandleByIndex(device_idx)', '              ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^'),
    ]);
  }
  context.distributed = true;
  const timeout = process.env.TORCH_NCCL_HEARTBEAT_TIMEOUT_SEC ?? '1800';
  context.log('CRITICAL', `${DISTRIBUTED}:63:init`, `Initialized distributed training with local rank ${context.localRank} with timeout ${timeout}`, { rank0Only: false });
  context.log('INFO', `${DISTRIBUTED}:73:init`, `Training with ${context.worldSize} GPUs.`);
}

/**
 * The pipeline's construction (transfer.py:235-281 → utils/base_world_generation_pipeline.py:79-90): the model
 * config, T5 and the guardrails unless offloaded, the network (unless --offload_diffusion_transformer defers it to
 * every generation), the tokenizer, then the prompt upsampler on RANK 0 (world_generation_pipeline.py:215-220).
 */
async function loadPipeline(
  context: SimContext,
  args: TransferArgs,
  controls: Record<string, ControlBlock>,
  distilled: boolean,
  network: (atGeneration: boolean) => Promise<void>,
  faults: (FaultMode | undefined)[],
): Promise<void> {
  requireCudaDevice(context, frame(TRANSFER, distilled ? 239 : 262, 'demo', `pipeline = ${distilled ? 'Distilled' : 'Diffusion'}Control2WorldGenerationPipeline(`), context.distributed ? context.localRank : 0);
  if (args.is_av_sample === true) {
    // inference_utils.py:206-212: the AV config has a base_load_from under "checkpoints", renamed to --checkpoint_dir.
    context.log('INFO', 'cosmos_transfer1/diffusion/inference/inference_utils.py:210:load_model_by_config', `Model need to load a base model weight, change the loading path from default folder to the ${String(args.checkpoint_dir)}`);
  }
  if (args.offload_diffusion_transformer !== true) await network(false);
  if (args.upsample_prompt === true) {
    await initInlineUpsampler(context, controls, { offload: args.offload_prompt_upsampler === true, checkpointDir: String(args.checkpoint_dir), fault: faults[0] });
  }
}

/**
 * `_load_network` (world_generation_pipeline.py:329-369; DistilledControl2WorldGenerationPipeline's at :1278-1316).
 * Building the model logs from model_ctrl.py (build_model, load_base_model); the default models have no
 * base_load_from, so no "Loading base model checkpoint" line: base_model.pt is read after the build
 * (:334 → inference_utils.py:229). With more than one control each ControlNet is a full model built again
 * (:335-350), so the build lines repeat once per control; a single control's weights are loaded into the model.
 */
function loadNetworkFor(
  context: SimContext,
  args: TransferArgs,
  controls: Record<string, ControlBlock>,
  distilled: boolean,
  faults: (FaultMode | undefined)[],
): (atGeneration: boolean) => Promise<void> {
  const loadSeconds = context.settings.modelLoadSeconds;
  const checkpointDir = String(args.checkpoint_dir);
  const av = args.is_av_sample === true;
  const ctrl = 'cosmos_transfer1/diffusion/model/model_ctrl.py';
  // The host runs out of RAM (or the container is killed) while the DiT is built and its weights read to the CPU
  // (torch.load map_location="cpu"), a third into the load [inferred].
  const hostFaults = async () => {
    if (faults.includes('host_oom')) {
      await sleepSimulated(context, loadSeconds / 3);
      await killLikeHostOom(context);
    }
    if (faults.includes('killed') || faults.includes('exit137')) {
      await sleepSimulated(context, loadSeconds / 3);
      killContainer(context);
    }
  };
  const build = async (share: number) => {
    const lines = av ? [444, 480, 482, 496, 449, 451, 460] : [38, 74, 76, 92, 42, 44, 53];
    context.log('INFO', `${ctrl}:${lines[0]}:build_model`, 'Start creating base model');
    await hostFaults();
    if (av) {
      const base = `checkpoints/nvidia/Cosmos-Transfer1-7B-Sample-AV/base_model.pt`.replaceAll('checkpoints', checkpointDir);
      context.log('INFO', `${ctrl}:${lines[1]}:load_base_model`, `Loading base model checkpoint (local): ${base}`);
      await sleepSimulated(context, share / 2);
      context.log('SUCCESS', `${ctrl}:${lines[2]}:load_base_model`, `Complete loading base model checkpoint (local): ${base}`);
    }
    await sleepSimulated(context, av ? share / 2 : share);
    context.log('INFO', `${ctrl}:${lines[3]}:load_base_model`, 'Done loading the base model checkpoint.');
    context.log('INFO', `${ctrl}:${lines[4]}:build_model`, 'Done creating base model');
    context.log('INFO', `${ctrl}:${lines[5]}:build_model`, 'Start creating ctrlnet model');
    context.log('INFO', `${ctrl}:${lines[6]}:build_model`, 'Done creating ctrlnet model');
  };
  const checkpointName = distilled
    ? 'nvidia/Cosmos-Transfer1-7B/edge_control_distilled.pt'
    : av ? 'nvidia/Cosmos-Transfer1-7B-Sample-AV/base_model.pt' : 'nvidia/Cosmos-Transfer1-7B/base_model.pt';
  const keys = Object.keys(controls);
  return async (atGeneration) => {
    if (distilled) {
      context.log('INFO', `${PIPELINE}:1279:_load_network`, 'Loading distilled consolidated checkpoint');
      context.log('INFO', `${ctrl}:741:build_model`, 'Start creating base model');
      await hostFaults();
      context.log('INFO', `${ctrl}:743:build_model`, 'Done creating base model');
      context.log('INFO', `${ctrl}:745:build_model`, 'Start creating ctrlnet model');
      if (keys.length !== 1) {
        throw new PythonException('AssertionError', 'Distilled model only supports single control input', [
          frame(TRANSFER, 433, '<module>', 'demo(args, control_inputs)'),
          frame(TRANSFER, 239, 'demo', 'pipeline = DistilledControl2WorldGenerationPipeline('),
          frame(PIPELINE, 1287, '_load_network', 'assert len(self.control_inputs) == 1, "Distilled model only supports single control input"'),
        ]);
      }
      if (faults.includes('missing_checkpoint')) throw missingCheckpointError(checkpointDir, checkpointName, atGeneration);
      await sleepSimulated(context, loadSeconds);
    } else {
      await build(loadSeconds * 0.6);
      if (faults.includes('missing_checkpoint')) throw missingCheckpointError(checkpointDir, checkpointName, atGeneration);
      for (const key of keys) {
        const config = controls[key] as ControlBlock;
        context.log('INFO', `${PIPELINE}:${keys.length > 1 ? 345 : 353}:_load_network`, `Loading ctrl model from ckpt_path: ${String(config.ckpt_path)}`);
        if (keys.length > 1) await build((loadSeconds * 0.4) / keys.length);
        else await sleepSimulated(context, loadSeconds * 0.4);
      }
    }
    if (context.distributed) context.log('INFO', `${PIPELINE}:${distilled ? 1315 : 364}:_load_network`, 'Enabling CP in base model');
  };
}

/** For the fault rules only: the prompts of a batch file, or none when it cannot be read. */
function peekBatchPrompts(path: string): string[] {
  const host = hostPathForRead(path);
  if (host === undefined) return [];
  const prompts: string[] = [];
  for (const line of readFileSync(host, 'utf8').split('\n')) {
    try {
      const entry = JSON.parse(line) as { prompt?: unknown };
      if (typeof entry.prompt === 'string') prompts.push(entry.prompt);
    } catch {
      // not a valid line: the real read reports it later
    }
  }
  return prompts;
}
