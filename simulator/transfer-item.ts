import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { hostPathForWrite } from './container-fs.js';
import type { FaultMode } from './faults.js';
import { frame, type PyFrame } from './python-traceback.js';
import { sleepSimulated, type SimContext } from './sim-context.js';
import type { ControlBlock } from './spec-loading.js';
import { chooseBucket, countChunks, readVideo, type Size } from './video-input.js';
import { writeVideo } from './video-output.js';

/** One video to generate: the single-mode job, or one line of a batch file. */
export interface TransferItem {
  prompt: string;
  inputVideo: string;
  controls: Record<string, ControlBlock>;
  /** Where auto-computed control videos go: video_save_folder, or video_<i>/ in batch mode. */
  workDir: string;
  fault: FaultMode | undefined;
}

export interface PreparedItem extends TransferItem {
  frames: number;
  output: Size;
  chunks: number;
}

const AUTO_CONTROLS: Record<string, { model: string; secondsPerFrame: number }> = {
  depth: { model: 'DepthAnythingModel', secondsPerFrame: 0.25 },
  seg: { model: 'GroundingDINO and SAM2', secondsPerFrame: 0.4 },
  keypoint: { model: 'RTMPose', secondsPerFrame: 0.1 },
  vis: { model: 'BilateralFilter', secondsPerFrame: 0.02 },
  edge: { model: 'Canny', secondsPerFrame: 0.02 },
};

const PREPROCESSORS = 'cosmos_transfer1/diffusion/inference/preprocessors.py';
const READ_FRAMES: PyFrame[] = [
  frame('cosmos_transfer1/diffusion/inference/transfer.py', 413, '<module>', 'demo(args, control_inputs)'),
  frame('cosmos_transfer1/diffusion/inference/transfer.py', 331, 'demo', 'preprocessors(current_video_path, current_prompt, current_control_inputs, video_save_subfolder)'),
  frame(PREPROCESSORS, 65, '__call__', 'self.gen_input_control(in_video, in_prompt, hint_key, out_video_path)'),
];

/** Python's os.path.join for two parts. */
export function joinPython(folder: string, name: string): string {
  if (name.startsWith('/')) return name;
  return folder === '' || folder.endsWith('/') ? `${folder}${name}` : `${folder}/${name}`;
}

function weightIsPositive(weight: unknown): boolean {
  if (typeof weight === 'string' && weight.endsWith('.pt')) return true;
  return Number(weight) > 0;
}

/** The preprocessor: reads the input and control videos and computes the missing controls from the input video. */
export async function prepareItem(context: SimContext, item: TransferItem, upscale: boolean): Promise<PreparedItem> {
  mkdirSync(hostPathForWrite(item.workDir), { recursive: true });
  context.log('INFO', `${PREPROCESSORS}:52:__call__`, 'running preprocessor');
  const input = item.inputVideo ? await readVideo(item.inputVideo, READ_FRAMES) : undefined;
  let frames = input?.frames ?? Number.POSITIVE_INFINITY;
  let size: Size | undefined = input;
  for (const [key, config] of Object.entries(item.controls)) {
    const given = config.input_control;
    if (typeof given === 'string' && given !== '') {
      const control = await readVideo(given, READ_FRAMES);
      frames = Math.min(frames, control.frames);
      size ??= control;
      continue;
    }
    const auto = AUTO_CONTROLS[key];
    if (!auto || !input || !weightIsPositive(config.control_weight)) continue;
    context.log('INFO', `${PREPROCESSORS}:71:__call__`, `no input_control provided for ${key}. generating input control video with ${auto.model}`);
    await sleepSimulated(context, auto.secondsPerFrame * input.frames);
    const path = join(item.workDir, `${key}_input_control_${context.localRank}.mp4`);
    await writeVideo(path, { width: input.width, height: input.height, frames: input.frames, fps: input.fps }, { grey: true, cacheDir: context.home });
    config.input_control = path;
  }
  const bucket = chooseBucket(size ?? { width: 1280, height: 704 });
  const output = upscale ? { width: bucket.width * 3, height: bucket.height * 3 } : bucket;
  const finalFrames = Number.isFinite(frames) ? frames : 121;
  return { ...item, frames: finalFrames, output, chunks: countChunks(finalFrames) };
}
