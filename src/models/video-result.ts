import { OutputInvalidError } from '../core/input-error.js';
import type { OutputFile, RunResult } from '../db/schema.js';
import { probeMp4File } from '../gpu/mp4.js';

/** The named video among the fetched files, proven to parse with frames; its size, frames and fps are the result. */
export async function readVideoResult(files: OutputFile[], name: string): Promise<RunResult> {
  const file = files.find((f) => f.name === name);
  if (!file) throw new OutputInvalidError(`the container exited 0 but wrote no ${name}`);
  const video = await probeMp4File(file.path).catch((error: unknown) => {
    throw new OutputInvalidError(`${name} is not a playable MP4: ${(error as Error).message}`);
  });
  if (video.frames < 1) throw new OutputInvalidError(`${name} has no frames`);
  return { kind: 'video', file: name, width: video.width, height: video.height, frames: video.frames, fps: video.fps };
}

/** Roles by file extension, for models whose outputs need no finer names. */
export function rolesByExtension(files: OutputFile[], overrides: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(files.map((f) => [f.name, overrides[f.name] ?? (f.name.endsWith('.mp4') ? 'video' : f.name.endsWith('.json') ? 'spec' : 'text')]));
}
