import { prepareSequence } from '../../../core/prepare-sequence.js';
import { parseCommandArgs, parseInteger } from '../args.js';
import type { Command } from '../command.js';
import { UsageError } from '../usage-error.js';

const options = { fps: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } } as const;

export const prepareCommand: Command = {
  options,
  help: `Usage: cosmos prepare <png_dir> [--fps N] [--out DIR] [--json]

Turns a render sequence into the input videos of a prompt: color.NNNN.png (required), depth.NNNN.png and
segmentation.NNNN.png (optional), frame numbers with 4 digits and no gaps → color.mp4, depth.mp4,
segmentation.mp4 (H.264) at --fps, encoded with ffmpeg. Warns when a control sequence covers other frames
than color.

Options:
  --fps N     frames per second (default 24)
  --out DIR   where to write the videos (default: <png_dir>)
  --json      print {outDir, fps, videos: [{modality, path, frames, fps, width, height}], warnings}

Examples:
  cosmos prepare ./renders/shot_010 --fps 30
  cosmos prepare ./renders/shot_010 && cosmos create prompt "a neon alley in the rain" ./renders/shot_010`,

  async run(args, _ctx, out) {
    const { values, positionals } = parseCommandArgs(args, options);
    const [dir, ...extra] = positionals;
    if (dir === undefined || extra.length > 0) throw new UsageError('expected one directory of PNG frames');
    const fps = values.fps !== undefined ? parseInteger('--fps', values.fps, 1, 120) : 24;
    const prepared = await prepareSequence(dir, { fps, ...(values.out !== undefined ? { outDir: values.out } : {}) });
    for (const warning of prepared.warnings) out.warn(warning);
    if (values.json) return out.json(prepared);
    for (const video of prepared.videos) {
      out.line(`${out.green('wrote')} ${video.path} (${video.frames} frames, ${video.width}×${video.height}, ${video.fps} fps)`);
    }
  },
};
