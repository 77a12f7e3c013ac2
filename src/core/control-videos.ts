import type { PromptInputs } from '../db/schema.js';
import { findAspectBucket } from '../models/aspect-bucket.js';
import { InputError } from './input-error.js';

const names = { depth: 'depth.mp4', seg: 'segmentation.mp4' } as const;

/**
 * Control videos must line up with color.mp4. Frames: Cosmos would silently cut every video to the shortest one.
 * Size: each video is resized to its own aspect-ratio bucket and the tensors are then combined frame by frame
 * (get_ctrl_batch in inference_utils.py, nvidia-cosmos/cosmos-transfer1 @5005e82), so a control in another
 * bucket than color.mp4 cannot work; any size within the same bucket is resized and is fine.
 */
export function checkControlVideos(inputs: PromptInputs): void {
  const color = inputs.video;
  const colorBucket = findAspectBucket(color.width, color.height);
  for (const role of ['depth', 'seg'] as const) {
    const control = inputs[role];
    if (!control) continue;
    if (control.frames !== color.frames) {
      throw new InputError(`${names[role]} has ${control.frames} frames but color.mp4 has ${color.frames}; control videos must have as many frames as color.mp4`);
    }
    const bucket = findAspectBucket(control.width, control.height);
    if (bucket.key !== colorBucket.key) {
      throw new InputError(`${names[role]} is ${control.width}×${control.height} (aspect ${bucket.key.replace(',', ':')}) but color.mp4 is ${color.width}×${color.height} (aspect ${colorBucket.key.replace(',', ':')}); Cosmos resizes each to its aspect bucket, so a control must have the same aspect ratio as color.mp4`);
    }
  }
}
