import { writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { hostPathForWrite } from './container-fs.js';
import { contextParallelError, genericRuntimeError, hangForever, outOfMemoryError } from './fault-effects.js';
import { checkPrompts, checkVideos, findBlockReason } from './guardrail.js';
import { leaveHostileOutput } from './hostile-outputs.js';
import { pythonPrint } from './python-stdout.js';
import { deviceRank, sleepSimulated, type SimContext } from './sim-context.js';
import { startProgressBar } from './tqdm.js';
import { joinPython, type PreparedItem, type TransferItem } from './transfer-item.js';
import { readItemData } from './transfer-item-data.js';
import { upsamplePromptsInline } from './upsampler.js';
import { writeVideo } from './video-output.js';

/*
 * DiffusionControl2WorldGenerationPipeline.generate() and _run_model(), and the save loop of transfer.py, at
 * cosmos-transfer1@5005e82 (world_generation_pipeline.py, transfer.py; paths relative to that repo).
 */
const PIPELINE = 'cosmos_transfer1/diffusion/inference/world_generation_pipeline.py';
const TRANSFER = 'cosmos_transfer1/diffusion/inference/transfer.py';

/** Model seconds, all [inferred]: a T5-11B pass (plus its load with --offload_text_encoder_model), a guardrail pass. */
const T5_SECONDS = 12;
const TEXT_GUARDRAIL_SECONDS = 4;
const VIDEO_GUARDRAIL_SECONDS = 6;
/** Per item and chunk: encoding the 121 input/control frames, decoding the latents (× 9 tiles for the upscaler). */
const LATENT_ENCODE_SECONDS = 3;
const VAE_DECODE_SECONDS = 8;

export interface GenerationSettings {
  fps: number;
  numSteps: number;
  contextParallel: number;
  upscale: boolean;
  distilled: boolean;
  offloadNetwork: boolean;
  saveInputNoise: boolean;
  /** The number of controls in the spec: every one is encoded and runs its ControlNet branch, whatever its weight. */
  controlCount: number;
  upsample: false | Parameters<typeof upsamplePromptsInline>[3];
  batchMode: boolean;
  videoSaveFolder: string;
  videoSaveName: string;
  /** transfer.py passes save_folder=video_save_subfolder: the last item's folder of this batch (:368). */
  saveFolder: string;
  /** _run_model_with_offload's network load (--offload_diffusion_transformer): once per generate() call. */
  loadNetwork: () => Promise<void>;
}

/**
 * Model seconds of one chunk's `generate_world_from_control` call, the silence between `Starting diffusion
 * sampling` and `Completed diffusion sampling` (the sampler logs nothing per step: res_sampler.py).
 * - A transfer chunk: `secondsPerChunk` is calibrated on two controls at 35 steps (about 9 min on one H100,
 *   carla-simulator/carla PR #9798); each denoising pass runs the 28-block DiT plus a 3-block ControlNet branch per
 *   control in the spec (config/inference/cosmos-1-diffusion-control2world.py:94-95 `num_blocks=28`,
 *   `layer_mask` keeps 3; networks/general_dit_ctrl_enc.py:254-327 loops over every control and only multiplies
 *   its output by the weight, so a weight of 0 costs the same): × (28 + 3n) / 34, × steps / 35, × items of the
 *   batch (one tensor batch), ÷ GPUs (context parallelism) [inferred scaling].
 * - The distilled edge model: one denoising pass, no guidance pass and no steps (model_ctrl.py:871-908
 *   `_forward_distilled`): 1/70 of the 35-step, two-pass sampling.
 * - The 4K upscaler: its 9 tiles in one call (`use_batch_processing=False`, world_generation_pipeline.py:628;
 *   model_ctrl.py:324-355 denoises tile after tile): `upscaleSecondsPerChunk` × steps / 10 (issue #134: 3 h 14 min).
 */
export function chunkSeconds(context: SimContext, settings: Pick<GenerationSettings, 'numSteps' | 'contextParallel' | 'upscale' | 'distilled' | 'controlCount'>, items: number): number {
  const cp = Math.max(1, settings.contextParallel);
  if (settings.upscale) return (context.settings.upscaleSecondsPerChunk * settings.numSteps) / 10 / cp;
  const controls = (28 + 3 * Math.max(1, settings.controlCount)) / 34;
  const sampling = settings.distilled ? 1 / 70 : settings.numSteps / 35;
  return (context.settings.secondsPerChunk * controls * sampling * items) / cp;
}

/** One generation batch: pipeline.generate() (rank-0 prompt upsampling, guardrails, T5, the chunk loop), then the save loop. */
export async function generateBatch(context: SimContext, items: TransferItem[], batchStart: number, settings: GenerationSettings): Promise<void> {
  context.log('INFO', `${PIPELINE}:705:generate`, `Running batch generation with batch_size=${items.length}`);
  if (settings.upsample) await upsamplePromptsInline(context, items, settings.saveFolder, settings.upsample);
  const safe = checkPrompts(context, items.map((item) => findBlockReason(item.prompt, item.fault === 'guardrail')), settings.saveInputNoise)
    .map((i) => items[i] as TransferItem);
  await sleepSimulated(context, TEXT_GUARDRAIL_SECONDS * items.length);

  context.log('INFO', `${PIPELINE}:745:generate`, 'Running text embedding on all prompts');
  for (let i = 0; i < safe.length; i += Math.min(items.length, 8)) {
    context.log('INFO', `${PIPELINE}:758:generate`, 'Starting T5 compute');
    await sleepSimulated(context, T5_SECONDS);
    context.log('INFO', `${PIPELINE}:760:generate`, 'Completed T5 compute');
  }
  context.log('INFO', `${PIPELINE}:768:generate`, 'Finish text embedding on prompt');
  context.log('INFO', `${PIPELINE}:771:generate`, 'Run generation');
  if (settings.offloadNetwork) await settings.loadNetwork();

  const prepared: PreparedItem[] = [];
  if (settings.distilled) {
    // :1331 a plain print on every rank, of the Python list of video paths.
    pythonPrint(`video paths: [${safe.map((item) => `'${item.inputVideo}'`).join(', ')}]\n`);
    context.log('INFO', `${PIPELINE}:1337:_run_model`, 'Starting data augmentation');
    context.log('INFO', `${PIPELINE}:1339:_run_model`, 'Regional prompts not supported when using distilled model, dropping: []');
    for (const item of safe) prepared.push(await readItemData(context, item, settings.upscale));
    context.log('INFO', `${PIPELINE}:1356:_run_model`, 'Completed data augmentation');
  } else {
    context.log('INFO', `${PIPELINE}:484:_run_model`, 'Starting data augmentation');
    context.log('INFO', `${PIPELINE}:487:_run_model`, 'regional_prompts passed to _run_model: []');
    context.log('INFO', `${PIPELINE}:488:_run_model`, 'region_definitions passed to _run_model: []');
    for (const item of safe) prepared.push(await readItemData(context, item, settings.upscale));
    context.log('INFO', `${PIPELINE}:527:_run_model`, 'Completed data augmentation');
  }
  const chunks = Math.max(...prepared.map((item) => item.chunks));
  if (settings.distilled) context.log('INFO', `${PIPELINE}:1386:_run_model`, `N_clip: ${chunks}`);
  const line = settings.distilled
    ? { encode: 1394, encoded: 1407, sample: 1426, sampled: 1439, decode: 1441, decoded: 1443 }
    : { encode: 583, encoded: 596, sample: 615, sampled: 638, decode: 639, decoded: 643 };
  const sampling = chunkSeconds(context, settings, prepared.length);
  const tiles = settings.upscale ? 9 : 1;
  const bar = startProgressBar(chunks, { timeScale: context.settings.timeScale * context.slowFactor });
  for (let chunk = 0; chunk < chunks; chunk++) {
    context.log('INFO', `${PIPELINE}:${line.encode}:_run_model`, 'Starting latent encoding');
    await sleepSimulated(context, LATENT_ENCODE_SECONDS * prepared.length);
    context.log('INFO', `${PIPELINE}:${line.encoded}:_run_model`, 'Completed latent encoding');
    context.log('INFO', `${PIPELINE}:${line.sample}:_run_model`, 'Starting diffusion sampling');
    if (chunk === 0) await injectSamplingFault(context, prepared, sampling, settings.contextParallel);
    await sleepSimulated(context, sampling);
    context.log('INFO', `${PIPELINE}:${line.sampled}:_run_model`, 'Completed diffusion sampling');
    context.log('INFO', `${PIPELINE}:${line.decode}:_run_model`, 'Starting VAE decode');
    await sleepSimulated(context, VAE_DECODE_SECONDS * tiles * prepared.length);
    context.log('INFO', `${PIPELINE}:${line.decoded}:_run_model`, 'Completed VAE decode');
    bar.update();
  }
  bar.close();
  context.log('INFO', `${PIPELINE}:786:generate`, 'Finish generation');
  await sleepSimulated(context, VIDEO_GUARDRAIL_SECONDS * prepared.length);
  const kept = checkVideos(context, prepared.map((item) => item.fault === 'guardrail_video'), settings.saveInputNoise)
    .map((i) => prepared[i] as PreparedItem);
  await saveOutputs(context, kept, batchStart, settings);
}

/**
 * transfer.py:390-421: on device rank 0 (every process when --num_gpus is 1), each surviving video in order: in
 * batch mode `video_<batch_start + k>/output.mp4` and `prompt.txt` (so a partly blocked batch shifts into the wrong
 * folders), else `<name>.mp4` and `<name>.txt`; the prompt written as UTF-8, no newline. The mp4's rate is --fps,
 * whatever the input's (save_video(fps=cfg.fps), :404-411).
 */
async function saveOutputs(context: SimContext, kept: PreparedItem[], batchStart: number, settings: GenerationSettings): Promise<void> {
  if (deviceRank(context) !== 0) return;
  for (const [k, item] of kept.entries()) {
    const folder = settings.batchMode ? joinPython(settings.videoSaveFolder, `video_${batchStart + k}`) : settings.videoSaveFolder;
    const videoPath = joinPython(folder, settings.batchMode ? 'output.mp4' : `${settings.videoSaveName}.mp4`);
    const promptPath = joinPython(folder, settings.batchMode ? 'prompt.txt' : `${settings.videoSaveName}.txt`);
    await writeVideo(videoPath, { ...item.output, frames: item.frames, fps: settings.fps }, { cacheDir: context.home });
    context.log('INFO', `${TRANSFER}:412:demo`, `Saved video to ${videoPath}`);
    writeFileSync(hostPathForWrite(promptPath), item.prompt, 'utf8');
    context.log('INFO', `${TRANSFER}:417:demo`, `Saved prompt to ${promptPath}`);
    leaveHostileOutput(hostPathForWrite(dirname(videoPath)), item.fault);
  }
}

async function injectSamplingFault(context: SimContext, items: PreparedItem[], sampling: number, contextParallel: number): Promise<void> {
  // Rank 0 fails first, so torchrun reports it as the root cause (and rank 0's log is whole), as it usually does.
  const rank0First = () => (context.rank > 0 ? new Promise((resolve) => setTimeout(resolve, 500)) : Promise.resolve());
  // parallel.py:47: the 16 latent frames of a chunk must divide by the GPU count (every rank asserts at once).
  if (contextParallel > 1 && 16 % contextParallel !== 0) {
    await rank0First();
    throw contextParallelError(contextParallel);
  }
  const fault = items.map((item) => item.fault).find((f) => f === 'oom' || f === 'exit1' || f === 'hang');
  if (fault === undefined) return;
  if (fault === 'hang') await hangForever();
  await sleepSimulated(context, sampling / 4);
  await rank0First();
  throw fault === 'oom' ? outOfMemoryError(context) : genericRuntimeError();
}
