import { join } from 'node:path';
import { parseArgs } from './argparse.js';
import { requireCudaDevice } from './cuda-device.js';
import { genericRuntimeError, hangForever, killContainer, killLikeHostOom, outOfMemoryError } from './fault-effects.js';
import { frame, PythonException } from './python-traceback.js';
import { faultFor, sleepSimulated, type SimContext } from './sim-context.js';
import { UPSAMPLER_ARGS } from './transfer-args.js';
import type { PreparedItem } from './transfer-item.js';
import { readVideo } from './video-input.js';
import { writeVideo } from './video-output.js';

const SCRIPT = 'cosmos_transfer1/auxiliary/upsampler/inference/upsampler_pipeline.py';
const LOAD_SECONDS = 60;
const INFERENCE_SECONDS = 15;

/** The Pixtral upsampler's rewrite, made deterministic: the prompt on one line plus a fixed cinematic description. */
function rewritePrompt(prompt: string): string {
  const base = prompt.replace(/\s+/g, ' ').trim().replace(/[.!?]+$/, '') || 'Describe the following images';
  return `${base}. The scene is captured in crisp, photorealistic detail under soft, natural lighting with realistic shadows and reflections; textures, colors and materials stay true to life, and the camera moves smoothly and steadily so that every object remains consistent with its surroundings from the first frame to the last.`;
}

/** cosmos_transfer1/auxiliary/upsampler/inference/upsampler_pipeline.py run standalone under torchrun. */
export async function runUpsampler(context: SimContext, argv: string[]): Promise<void> {
  if (!context.underTorchrun) {
    throw new PythonException('KeyError', "'RANK'", [
      frame(SCRIPT, 158, '<module>', 'rank = int(os.environ["RANK"])'),
      frame('/usr/lib/python3.12/os.py', 714, '__getitem__', 'raise KeyError(key) from None'),
    ]);
  }
  const args = parseArgs('upsampler_pipeline.py', UPSAMPLER_ARGS, argv);
  const prompt = typeof args.prompt === 'string' && args.prompt !== '' ? args.prompt : 'describe the following images';
  const fault = faultFor(context, prompt);
  const frames = [frame(SCRIPT, 171, '<module>', 'main(args)'), frame(SCRIPT, 132, 'main', 'video = read_video_frames(args.input_video, num_frames=2)')];
  await readVideo(String(args.input_video), frames);
  const checkpoint = `${String(args.checkpoint_dir).replace(/\/$/, '')}/nvidia/Cosmos-UpsamplePrompt1-12B-Transfer`;
  context.log('INFO', `${SCRIPT}:58:__init__`, `Loading prompt upsampler from ${checkpoint}`);
  requireCudaDevice(context, frame(SCRIPT, 121, 'main', 'pipeline = create_vlm_prompt_upsampler(args.checkpoint_dir)'));
  if (fault === 'missing_checkpoint') {
    throw new PythonException('FileNotFoundError', `[Errno 2] No such file or directory: '${checkpoint}/params.json'`, [
      frame(SCRIPT, 171, '<module>', 'main(args)'),
      frame(SCRIPT, 121, 'main', 'pipeline = create_vlm_prompt_upsampler(args.checkpoint_dir)'),
    ]);
  }
  if (fault === 'host_oom') await killLikeHostOom(context);
  if (fault === 'killed' || fault === 'exit137') killContainer(context);
  await sleepSimulated(context, LOAD_SECONDS);
  if (fault === 'hang') await hangForever();
  if (fault === 'oom') throw outOfMemoryError(context);
  if (fault === 'exit1') throw genericRuntimeError();
  await sleepSimulated(context, INFERENCE_SECONDS);
  context.log('INFO', `${SCRIPT}:146:main`, `Upsampled prompt: ${rewritePrompt(prompt)}`);
}

/** transfer.py --upsample_prompt: rank 0 rewrites each prompt from a short vis/edge control clip. */
export async function upsamplePromptsInline(context: SimContext, items: PreparedItem[], folder: string): Promise<void> {
  const where = 'cosmos_transfer1/diffusion/inference/world_generation_pipeline.py';
  for (const [i, item] of items.entries()) {
    const key = ['vis', 'edge'].find((k) => k in item.controls);
    if (key === undefined) continue;
    await writeVideo(join(folder, 'video_0', `control_input_${key}_upsampler.mp4`), { ...item.output, frames: 10, fps: 24 }, { grey: true, cacheDir: context.home });
    context.log('INFO', `${where}:741:_process_prompt_upsampler`, `Upsampling prompt ${i + 1}/${items.length}: ${item.prompt}`);
    await sleepSimulated(context, LOAD_SECONDS + INFERENCE_SECONDS);
    item.prompt = rewritePrompt(item.prompt);
    context.log('INFO', `${where}:748:_process_prompt_upsampler`, `Upsampled prompt ${i + 1}: ${item.prompt}`);
  }
}
