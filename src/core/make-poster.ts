import { execFile } from 'node:child_process';
import { lstat, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileRef, OutputFile, PromptInputs, VideoRef } from '../db/schema.js';
import { hashFile } from './file-hash.js';

const POSTER_TIMEOUT_MS = 60_000;

/** `output.mp4` → `output.poster.jpg`: the name a video's poster frame is kept under beside it. */
export const posterNameOf = (videoName: string) => videoName.replace(/\.mp4$/i, '.poster.jpg');

/**
 * Writes a JPEG of the video's first frame (at most 640 px wide) with ffmpeg, through a partial name. A poster
 * is a convenience: without ffmpeg, or for a video it cannot decode, there is none and nothing fails.
 */
export async function makePoster(videoPath: string, posterPath: string): Promise<boolean> {
  const partial = `${posterPath}.partial.jpg`;
  const made = await new Promise<boolean>((resolve) => {
    execFile('ffmpeg', [
      '-nostdin', '-hide_banner', '-loglevel', 'error', '-y', '-i', videoPath,
      '-frames:v', '1', '-vf', "scale='min(640,iw)':-2", '-q:v', '4', '-f', 'image2', partial,
    ], { timeout: POSTER_TIMEOUT_MS }, (error) => resolve(!error));
  });
  if (made) await rename(partial, posterPath).catch(() => rm(partial, { force: true }));
  else await rm(partial, { force: true });
  return made;
}

/** A poster beside every downloaded video of a run; returns the names made, for the manifest to record. */
export async function makeOutputPosters(runDir: string, files: OutputFile[]): Promise<string[]> {
  const names: string[] = [];
  for (const file of files.filter((f) => /\.mp4$/i.test(f.name))) {
    if (await makePoster(file.path, join(runDir, posterNameOf(file.name)))) names.push(posterNameOf(file.name));
  }
  return names;
}

/**
 * The poster of a registered input, kept by the input's sha256 under `posterDir`: the same video has one poster,
 * made once (a prompt already recorded with it keeps a file that matches its record).
 */
export async function makeInputPoster(video: VideoRef, posterDir: string): Promise<FileRef | undefined> {
  await mkdir(posterDir, { recursive: true });
  const path = join(posterDir, `${video.sha256}.jpg`);
  const existing = await lstat(path).catch(() => null);
  if (!existing?.isFile() && !(await makePoster(video.path, path))) return undefined;
  return { path, ...(await hashFile(path)) };
}

/** The inputs with a poster on each video that ffmpeg can read; called only once the inputs passed every check. */
export async function addInputPosters(inputs: PromptInputs, posterDir: string): Promise<PromptInputs> {
  const withPoster = async (video: VideoRef): Promise<VideoRef> => {
    const poster = await makeInputPoster(video, posterDir);
    return poster ? { ...video, poster } : video;
  };
  return {
    video: await withPoster(inputs.video),
    ...(inputs.depth ? { depth: await withPoster(inputs.depth) } : {}),
    ...(inputs.seg ? { seg: await withPoster(inputs.seg) } : {}),
  };
}
