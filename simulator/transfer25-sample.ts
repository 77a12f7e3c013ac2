import { writeFileSync } from 'node:fs';
import { posix } from 'node:path';
import { hostPathForWrite } from './container-fs.js';
import { hangForever } from './fault-effects.js';
import type { FaultMode } from './faults.js';
import { leaveHostileOutput } from './hostile-outputs.js';
import type { PyFrame } from './python-traceback.js';
import { sleepSimulated, type SimContext } from './sim-context.js';
import { cudaError25, guardrailException, invalidVideoExtension, noInputFrames, outOfMemory25 } from './transfer25-errors.js';
import { textBlockReason, videoBlockLines } from './transfer25-guardrail.js';
import type { Logger25 } from './transfer25-log.js';
import { reprFloat, reprValue, pathStr } from './transfer25-python.js';
import type { Sample } from './transfer25-spec.js';
import { AUTO_CONTROL_SECONDS_PER_FRAME, chunkSeconds, countChunks25, PREPARE_SECONDS, pythonReseed, SAVE_SECONDS, TEXT_GUARDRAIL_SECONDS, VIDEO_GUARDRAIL_SECONDS } from './transfer25-timing.js';
import { startStepBar } from './transfer25-tqdm.js';
import { chooseBucket, readVideo } from './video-input.js';
import { writeVideo } from './video-output.js';

/** One sample of `Control2WorldInference._generate_sample` (cosmos_transfer2/inference.py@2ff49d0). */
const INFERENCE = 'cosmos_transfer2/inference.py';
const PIPELINE = 'cosmos_transfer2/_src/transfer2/inference/inference_pipeline.py';
const VIDEO_EXTENSIONS = ['.mp4', '.avi', '.mov', '.mkv', '.webm', '.png', '.jpg', '.jpeg'];

export interface RunState {
  context: SimContext;
  log: Logger25;
  outputDir: string;
  guardrails: boolean;
  keepGoing: boolean;
  distilled: boolean;
  gpus: number;
  /** Rank 0 skipped a blocked prompt the other ranks went on with: the ranks no longer meet in the same collectives. */
  desynced?: boolean;
}

export type SampleOutcome = 'generated' | 'blocked';

export async function generateSample(run: RunState, sample: Sample, fault: FaultMode | undefined): Promise<SampleOutcome> {
  const { context, log } = run;
  const rank0 = context.rank === 0;
  const out = pathStr(`${run.outputDir}/${sample.name}`);
  const values = sample.values;
  if (rank0) {
    writeFileSync(hostPathForWrite(`${out}.json`), sample.json);
    log('INFO', `${INFERENCE}:208:_generate_sample`, `Saved arguments to ${out}.json`);
  }
  if (run.guardrails) {
    if (rank0) log('INFO', `${INFERENCE}:213:_generate_sample`, 'Running guardrail check on prompt...');
    await sleepSimulated(context, TEXT_GUARDRAIL_SECONDS * (run.distilled ? 1 : 2));
    const texts: [string, string, number, string][] = [['Prompt', sample.prompt, 217, 'Passed guardrail on prompt']];
    if (!run.distilled) texts.push(['Negative prompt', sample.negativePrompt, 231, 'Passed guardrail on negative prompt']);
    for (const [label, text, line, passed] of texts) {
      const reason = textBlockReason(log, text, label === 'Prompt' && fault === 'guardrail');
      if (reason === undefined) {
        if (rank0) log('SUCCESS', `${INFERENCE}:${line === 217 ? 223 : 237}:_generate_sample`, passed);
        continue;
      }
      const message = `Guardrail blocked generation. ${label}: ${text}`;
      if (!rank0) {
        // Only rank 0 runs the text guardrail and nothing tells the others: they enter the CP collectives of this
        // sample alone (contract §3.5, inferred) and wait there.
        startStepBar(context, Number(values.num_steps), !run.distilled);
        return hangForever();
      }
      log('CRITICAL', `${INFERENCE}:${line}:_generate_sample`, message);
      if (!run.keepGoing) throw guardrailException(message, false);
      if (run.gpus > 1) run.desynced = true;
      return 'blocked';
    }
  } else if (rank0) {
    log('WARNING', `${INFERENCE}:239:_generate_sample`, 'Guardrail checks on prompt are disabled');
  }
  const modalities: Record<string, unknown> = {};
  for (const key of sample.hintKeys) {
    const block = values[key] as Record<string, unknown>;
    Object.assign(modalities, { [key]: block.control_path, [`${key}_mask`]: block.mask_path, [`${key}_mask_prompt`]: block.mask_prompt });
  }
  log('INFO', `${INFERENCE}:242:_generate_sample`, `Processing the following paths: ${reprValue(modalities)}`);
  const seg = values.seg as Record<string, unknown> | null;
  if (seg && seg.control_path === null && seg.control_prompt === null) {
    log('WARNING', 'cosmos_transfer2/config.py:585:seg_control_prompt', 'No "control_prompt" provided for on-the-fly segmentation, using the first 128 words of the input prompt');
  }

  // generate_img2world
  const videoPath = String(values.video_path);
  log('INFO', `${PIPELINE}:472:generate_img2world`, 'Loading input video...');
  if (!VIDEO_EXTENSIONS.includes(posix.extname(videoPath))) throw invalidVideoExtension(posix.extname(videoPath));
  const readFrames: PyFrame[] = invalidVideoExtension('').frames.slice(0, -1);
  const input = await readVideo(videoPath, readFrames);
  const frames = Math.min(input.frames, Number(values.max_frames ?? 5000));
  const fps = Math.trunc(input.fps);
  log('INFO', `${PIPELINE}:492:generate_img2world`, 'Computing prompt text embeddings...');
  if (!run.distilled) log('INFO', `${PIPELINE}:501:generate_img2world`, 'Computing negative prompt text embeddings...');
  log('INFO', `${PIPELINE}:513:generate_img2world`, 'Processing image context if available...');
  log('INFO', `${PIPELINE}:525:generate_img2world`, 'Loading control inputs...');
  let prepare = PREPARE_SECONDS;
  const controlFrames: number[] = [];
  for (const key of sample.hintKeys) {
    const block = values[key] as Record<string, unknown>;
    if (typeof block.control_path === 'string') controlFrames.push((await readVideo(block.control_path, readFrames)).frames);
    else prepare += (AUTO_CONTROL_SECONDS_PER_FRAME[key] ?? 0) * frames;
  }
  await sleepSimulated(context, prepare);

  const perChunk = Number(values.num_video_frames_per_chunk);
  const conditional = Number(values.num_conditional_frames);
  const chunks = countChunks25(frames, perChunk, conditional);
  const steps = Number(values.num_steps);
  const seconds = chunkSeconds(context.settings, steps, run.distilled, run.gpus);
  let seed = Number(values.seed);
  for (let chunk = 0; chunk < chunks; chunk++) {
    log('INFO', `${PIPELINE}:554:generate_img2world`, `Generating chunk ${chunk + 1}/${chunks}`);
    if (controlFrames.some((count) => chunk * (perChunk - conditional) >= count)) throw noInputFrames();
    seed = pythonReseed(seed);
    log('INFO', `${PIPELINE}:640:generate_img2world`, `Seed: ${seed}`);
    const bar = startStepBar(context, steps, !run.distilled);
    // Rank 0's first collective of this sample meets ranks still inside the blocked one: it waits for ever (contract §3.5, inferred).
    if (run.desynced) return hangForever();
    for (let step = 0; step < steps; step++) {
      if (chunk === 0 && step === Math.floor(steps / 4)) await injectFault(context, fault);
      await sleepSimulated(context, seconds / steps);
      bar.update();
    }
    bar.close();
  }
  log('INFO', `${PIPELINE}:736:generate_img2world`, `Average time per chunk: ${reprFloat(seconds)}`);
  if (run.distilled && frames > 93) {
    log('WARNING', `${INFERENCE}:299:_generate_sample`, `Generated output has ${frames} frames (> 93). The distilled Transfer 2.5 model is not trained to support auto-regressive generation`);
  }
  await sleepSimulated(context, SAVE_SECONDS + (run.guardrails ? VIDEO_GUARDRAIL_SECONDS : 0));
  if (!rank0) return 'generated';
  return saveOutputs(run, sample, out, { width: input.width, height: input.height, frames, fps }, fault);
}

async function saveOutputs(
  run: RunState,
  sample: Sample,
  out: string,
  input: { width: number; height: number; frames: number; fps: number },
  fault: FaultMode | undefined,
): Promise<SampleOutcome> {
  const { log, context } = run;
  const values = sample.values;
  const even = { width: input.width - (input.width % 2), height: input.height - (input.height % 2) };
  const bucket = chooseBucket(input);
  const size = values.keep_input_resolution === false ? bucket : even;
  const shape = { ...size, frames: input.frames, fps: input.fps };
  for (const key of sample.hintKeys) {
    await writeVideo(`${out}_control_${key}.mp4`, shape, { grey: true, cacheDir: context.home });
    log('INFO', `${INFERENCE}:311:_generate_sample`, `${key} control video saved to ${out}_control_${key}.mp4`);
  }
  for (const key of sample.hintKeys) {
    const block = values[key] as Record<string, unknown>;
    if (block.mask_path !== null || typeof block.mask_prompt !== 'string') continue;
    await writeVideo(`${out}_mask_${key}.mp4`, { ...bucket, frames: input.frames, fps: input.fps }, { grey: true, cacheDir: context.home });
    log('INFO', `${INFERENCE}:316:_generate_sample`, `Mask for ${key} saved to ${out}_mask_${key}.mp4`);
  }
  if (run.guardrails) {
    log('INFO', `${INFERENCE}:319:_generate_sample`, 'Running guardrail check on video...');
    if (fault === 'guardrail_video') {
      videoBlockLines(log, input.frames);
      if (!run.keepGoing) throw guardrailException('Guardrail blocked video2world generation.', true);
      return 'blocked';
    }
    log('DEBUG', 'cosmos_transfer2/_src/imaginaire/auxiliary/guardrail/common/core.py:77:postprocess', 'Running guardrail: RETINAFACEFILTER');
    log('SUCCESS', `${INFERENCE}:329:_generate_sample`, 'Passed guardrail on generated video');
  } else {
    log('WARNING', `${INFERENCE}:335:_generate_sample`, 'Guardrail checks on video are disabled');
  }
  const extra = (values.show_control_condition === true ? sample.hintKeys.length : 0) + (values.show_input === true ? 1 : 0);
  await writeVideo(`${out}.mp4`, { ...shape, width: size.width * (1 + extra) }, { cacheDir: context.home });
  writeFileSync(hostPathForWrite(`${out}.txt`), sample.prompt);
  log('SUCCESS', `${INFERENCE}:343:_generate_sample`, `Generated video saved to ${out}.mp4`);
  leaveHostileOutput(hostPathForWrite(run.outputDir), fault);
  return 'generated';
}

/** Faults during the first chunk's denoising: the bar stops where the failure happens. */
async function injectFault(context: SimContext, fault: FaultMode | undefined): Promise<void> {
  if (fault === 'hang') await hangForever();
  if (fault !== 'oom' && fault !== 'exit1') return;
  // Rank 0 fails first, so torchrun reports it as the root cause, as it usually does.
  if (context.rank > 0) await new Promise((resolve) => setTimeout(resolve, 500));
  throw fault === 'oom' ? outOfMemory25(context) : cudaError25();
}
