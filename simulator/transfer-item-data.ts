import { frame, PythonException, type PyFrame } from './python-traceback.js';
import type { SimContext } from './sim-context.js';
import { PIPELINE, TRANSFER, UTILS, type PreparedItem, type TransferItem } from './transfer-item.js';
import { chooseBucket, countChunks, readVideo, type Size } from './video-input.js';

/**
 * inference_utils.py:573-640 get_ctrl_batch, inside _run_model's data augmentation (after the guardrail and T5):
 * the input video and every control with an input_control are read (all frames, at most 5000) and resized to the
 * aspect bucket; T is the shortest; a file missing here is a FileNotFoundError from utils/io.py:74.
 */
export async function readItemData(context: SimContext, item: TransferItem, upscale: boolean): Promise<PreparedItem> {
  const base: PyFrame[] = [
    frame(TRANSFER, 433, '<module>', 'demo(args, control_inputs)'),
    frame(TRANSFER, 363, 'demo', 'batch_outputs = pipeline.generate('),
    frame(PIPELINE, 775, 'generate', 'model_outputs = self._run_model_with_offload('),
    frame(PIPELINE, 450, '_run_model_with_offload', 'samples = self._run_model('),
    frame(PIPELINE, 509, '_run_model', 'data_batch, state_shape = get_batched_ctrl_batch('),
    frame(UTILS, 538, 'get_batched_ctrl_batch', 'processed = get_ctrl_batch('),
  ];
  const reading = (line: number, code: string): PyFrame[] => [
    ...base,
    frame(UTILS, line, 'get_ctrl_batch', code),
    frame(UTILS, 367, 'read_and_resize_input', 'control_input, fps = read_video_or_image_into_frames_BCTHW('),
    frame(UTILS, 794, 'read_video_or_image_into_frames_BCTHW', 'loaded_data = load_from_fileobj(input_path, format=input_path_format)'),
    frame('cosmos_transfer1/utils/io.py', 74, 'load_from_fileobj', 'with open(filepath, "rb") as f:'),
  ];
  let frames = 5000;
  let size: Size | undefined;
  if (item.inputVideo !== '') {
    const input = await readVideo(item.inputVideo, reading(595, 'input_frames, fps, aspect_ratio = read_and_resize_input('));
    frames = Math.min(frames, input.frames);
    size = input;
  }
  for (const [key, config] of Object.entries(item.controls)) {
    const given = config.input_control;
    if (given === undefined) continue;
    context.log('INFO', `${UTILS}:610:get_ctrl_batch`, `reading control input ${String(given)} for hint ${key}`);
    const control = await readVideo(String(given), reading(611, 'control_input_dict[f"control_input_{hint_key}"], fps, aspect_ratio = read_and_resize_input('));
    frames = Math.min(frames, control.frames);
    size = control;
  }
  context.log('INFO', `${UTILS}:632:get_ctrl_batch`, `Making all control and input videos to be length of ${frames} frames.`);
  if (Object.keys(item.controls).length === 0) {
    // A spec without controls passes validation (its loop has nothing to check) and fails here, after the model
    // loaded: get_augmentor_for_eval builds an empty combination and AddControlInputComb concatenates no tensors.
    throw new PythonException('RuntimeError', 'torch.cat(): expected a non-empty list of Tensors', [
      ...base,
      frame(UTILS, 652, 'get_ctrl_batch', 'control_input = add_control_input(control_input_dict)[hint_key]'),
      frame('cosmos_transfer1/diffusion/datasets/augmentors/control_input.py', 660, '__call__', 'all_comb = torch.cat(all_comb, dim=0)'),
    ]);
  }
  const bucket = chooseBucket(size ?? { width: 1280, height: 704 });
  // world_generation_pipeline.py:408: the 3×3 tiles are merged, then resized to exactly 3× the bucket.
  const output = upscale ? { width: bucket.width * 3, height: bucket.height * 3 } : bucket;
  return { ...item, frames, output, chunks: countChunks(frames) };
}
