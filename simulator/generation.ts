import { writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { hostPathForWrite } from './container-fs.js';
import { genericRuntimeError, hangForever, outOfMemoryError } from './fault-effects.js';
import { leaveHostileOutput } from './hostile-outputs.js';
import { sleepSimulated, type SimContext } from './sim-context.js';
import { startProgressBar } from './tqdm.js';
import type { PreparedItem } from './transfer-item.js';
import { writeVideo } from './video-output.js';

const PIPELINE = 'cosmos_transfer1/diffusion/inference/world_generation_pipeline.py';
const TRANSFER = 'cosmos_transfer1/diffusion/inference/transfer.py';
const T5_SECONDS = 12;
const VIDEO_GUARDRAIL_SECONDS = 6;

export interface GenerationSettings {
  fps: number;
  numSteps: number;
  contextParallel: number;
  upscale: boolean;
}

export interface OutputTarget {
  item: PreparedItem;
  videoPath: string;
  promptPath: string;
}

/** Text embedding, the chunk loop with its tqdm bar, the video guardrail, then saving (rank 0 only). */
export async function generateBatch(context: SimContext, targets: OutputTarget[], settings: GenerationSettings): Promise<void> {
  const items = targets.map((target) => target.item);
  context.log('INFO', `${PIPELINE}:683:generate`, 'Running text embedding on all prompts');
  context.log('INFO', 'cosmos_transfer1/auxiliary/t5_text_encoder.py:97:encode_prompts', 'Starting T5 compute');
  await sleepSimulated(context, T5_SECONDS);
  context.log('INFO', 'cosmos_transfer1/auxiliary/t5_text_encoder.py:110:encode_prompts', 'Completed T5 compute');
  context.log('INFO', `${PIPELINE}:690:generate`, 'Finish text embedding on prompt');
  context.log('INFO', `${PIPELINE}:697:generate`, 'Run generation');
  context.log('INFO', `${PIPELINE}:588:_run_model`, 'Starting data augmentation');
  context.log('INFO', `${PIPELINE}:593:_run_model`, 'Completed data augmentation');

  const chunks = Math.max(...items.map((item) => item.chunks));
  const chunkSeconds = settings.upscale
    ? context.settings.secondsPerChunk * 9 * (settings.numSteps / 35)
    : (context.settings.secondsPerChunk * items.length) / settings.contextParallel;
  const bar = startProgressBar(chunks);
  for (let chunk = 0; chunk < chunks; chunk++) {
    context.log('INFO', `${PIPELINE}:603:_run_model`, 'Starting latent encoding');
    context.log('INFO', `${PIPELINE}:608:_run_model`, 'Completed latent encoding');
    context.log('INFO', `${PIPELINE}:615:_run_model`, 'Starting diffusion sampling');
    if (chunk === 0) await injectSamplingFault(context, items, chunkSeconds);
    await sleepSimulated(context, chunkSeconds);
    context.log('INFO', `${PIPELINE}:626:_run_model`, 'Completed diffusion sampling');
    context.log('INFO', `${PIPELINE}:631:_run_model`, 'Starting VAE decode');
    context.log('INFO', `${PIPELINE}:636:_run_model`, 'Completed VAE decode');
    bar.update();
  }
  bar.close();
  context.log('INFO', `${PIPELINE}:712:generate`, 'Finish generation');
  context.log('INFO', `${PIPELINE}:716:generate`, 'Run guardrail on generated videos');
  await sleepSimulated(context, VIDEO_GUARDRAIL_SECONDS);
  if (context.rank !== 0) return;
  for (const { item, videoPath, promptPath } of targets) {
    await writeVideo(videoPath, { ...item.output, frames: item.frames, fps: settings.fps }, { cacheDir: context.home });
    context.log('INFO', `${TRANSFER}:385:demo`, `Saved video to ${videoPath}`);
    writeFileSync(hostPathForWrite(promptPath), item.prompt, 'utf8');
    context.log('INFO', `${TRANSFER}:388:demo`, `Saved prompt to ${promptPath}`);
    leaveHostileOutput(hostPathForWrite(dirname(videoPath)), item.fault);
  }
}

async function injectSamplingFault(context: SimContext, items: PreparedItem[], chunkSeconds: number): Promise<void> {
  const fault = items.map((item) => item.fault).find((f) => f === 'oom' || f === 'exit1' || f === 'hang');
  if (fault === undefined) return;
  if (fault === 'hang') await hangForever();
  await sleepSimulated(context, chunkSeconds / 4);
  // Rank 0 fails first, so torchrun reports it as the root cause, as it usually does.
  if (context.rank > 0) await new Promise((resolve) => setTimeout(resolve, 500));
  throw fault === 'oom' ? outOfMemoryError(context) : genericRuntimeError();
}
