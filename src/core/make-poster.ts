import { execFile } from 'node:child_process';
import { lstat, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileRef, OutputFile, PromptInputs, VideoRef } from '../db/schema.js';
import { hashFile } from './file-hash.js';

const POSTER_TIMEOUT_MS = 60_000;

/** `output.mp4` → `output.poster.jpg`: the name a video's poster frame is kept under beside it. */
export const posterNameOf = (videoName: string) => videoName.replace(/\.mp4$/i, '.poster.jpg');

const posterFilter = "scale='min(640,iw)':-2";
const runFfmpeg = (args: string[]) => new Promise<boolean>((resolve) => {
  execFile('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', '-threads', '1', ...args], { timeout: POSTER_TIMEOUT_MS }, (error) => resolve(!error));
});

/**
 * Writes a JPEG of each video's first frame (at most 640 px wide) with one ffmpeg process, each through a partial
 * name. A poster is a convenience: without ffmpeg, or for a video it cannot decode, there is none and nothing fails.
 */
export async function makePosters(pairs: { videoPath: string; posterPath: string }[]): Promise<boolean[]> {
  if (pairs.length === 0) return [];
  const partials = pairs.map(({ posterPath }) => `${posterPath}.partial.jpg`);
  const args = [
    ...pairs.flatMap(({ videoPath }) => ['-i', videoPath]),
    ...pairs.flatMap((_, i) => ['-map', `${i}:v:0`, '-frames:v', '1', '-vf', posterFilter, '-q:v', '4', '-f', 'image2', partials[i]!]),
  ];
  // One video ffmpeg cannot read fails the whole command: then each is tried on its own.
  const together = await runFfmpeg(args);
  const made = together ? pairs.map(() => true) : await Promise.all(pairs.map(({ videoPath }, i) =>
    runFfmpeg(['-i', videoPath, '-frames:v', '1', '-vf', posterFilter, '-q:v', '4', '-f', 'image2', partials[i]!])));
  await Promise.all(pairs.map(async ({ posterPath }, i) => {
    if (made[i]) await rename(partials[i]!, posterPath).catch(() => rm(partials[i]!, { force: true }));
    else await rm(partials[i]!, { force: true });
  }));
  return made;
}

export async function makePoster(videoPath: string, posterPath: string): Promise<boolean> {
  const [made] = await makePosters([{ videoPath, posterPath }]);
  return made ?? false;
}

/** A poster beside every downloaded video of a run; returns the names made, for the manifest to record. */
export async function makeOutputPosters(runDir: string, files: OutputFile[]): Promise<string[]> {
  const videos = files.filter((f) => /\.mp4$/i.test(f.name));
  const made = await makePosters(videos.map((file) => ({ videoPath: file.path, posterPath: join(runDir, posterNameOf(file.name)) })));
  return videos.filter((_, i) => made[i]).map((file) => posterNameOf(file.name));
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
