import { execFile } from 'node:child_process';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { probeMp4File } from '../gpu/mp4.js';
import { InputError } from './input-error.js';

const run = promisify(execFile);

export const sequenceModalities = ['color', 'depth', 'segmentation'] as const;
export type SequenceModality = (typeof sequenceModalities)[number];

const framePattern = /^(color|depth|segmentation)\.(\d{4})\.png$/;

export interface SequenceScan {
  /** Sorted frame numbers per modality present. */
  frames: Partial<Record<SequenceModality, number[]>>;
  warnings: string[];
}

export interface PreparedVideo { modality: SequenceModality; path: string; frames: number; fps: number; width: number; height: number }
export interface PreparedSequence { outDir: string; fps: number; videos: PreparedVideo[]; warnings: string[] }

/** Finds `<modality>.<4-digit frame>.png` files; refuses a missing color sequence and any gap. */
export async function scanSequence(dir: string): Promise<SequenceScan> {
  const entries = await readdir(dir).catch(() => {
    throw new InputError(`${dir} is not a readable directory`);
  });
  const frames: Partial<Record<SequenceModality, number[]>> = {};
  for (const name of entries) {
    const match = framePattern.exec(name);
    if (!match) continue;
    (frames[match[1] as SequenceModality] ??= []).push(Number(match[2]));
  }
  if (!frames.color) throw new InputError(`${dir} has no color.<frame>.png files (e.g. color.0001.png); the color sequence is required`);
  const warnings: string[] = [];
  for (const modality of sequenceModalities) {
    const numbers = frames[modality]?.sort((a, b) => a - b);
    if (!numbers) continue;
    const missing = findGaps(numbers);
    if (missing.length > 0) {
      const shown = missing.slice(0, 5).map((n) => String(n).padStart(4, '0')).join(', ');
      throw new InputError(`${modality} sequence has a gap: frame${missing.length > 1 ? 's' : ''} ${shown}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''} missing`);
    }
    if (modality !== 'color' && !sameRange(numbers, frames.color)) {
      warnings.push(`${modality} has frames ${describeRange(numbers)} but color has ${describeRange(frames.color)}`);
    }
  }
  return { frames, warnings };
}

/** Encodes each modality's PNGs into `<modality>.mp4` (H.264, yuv420p) at `fps`, and reads each video back. */
export async function prepareSequence(dir: string, options: { fps: number; outDir?: string; ffmpeg?: string }): Promise<PreparedSequence> {
  if (!Number.isInteger(options.fps) || options.fps < 1 || options.fps > 120) throw new InputError(`fps must be a whole number from 1 to 120, got ${options.fps}`);
  const source = resolve(dir);
  const outDir = resolve(options.outDir ?? source);
  const scan = await scanSequence(source);
  if (!(await stat(outDir).catch(() => null))?.isDirectory()) throw new InputError(`output directory ${outDir} does not exist`);
  const videos: PreparedVideo[] = [];
  for (const modality of sequenceModalities) {
    const numbers = scan.frames[modality];
    if (!numbers) continue;
    const path = join(outDir, `${modality}.mp4`);
    await encode(options.ffmpeg ?? 'ffmpeg', { source, modality, first: numbers[0]!, count: numbers.length, fps: options.fps, path });
    const info = await probeMp4File(path);
    if (info.frames !== numbers.length) throw new Error(`${path} has ${info.frames} frames after encoding, expected ${numbers.length}`);
    videos.push({ modality, path, frames: info.frames, fps: info.fps, width: info.width, height: info.height });
  }
  return { outDir, fps: options.fps, videos, warnings: scan.warnings };
}

async function encode(ffmpeg: string, job: { source: string; modality: string; first: number; count: number; fps: number; path: string }): Promise<void> {
  const partial = `${job.path}.partial`;
  const argv = [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-framerate', String(job.fps), '-start_number', String(job.first), '-i', join(job.source, `${job.modality}.%04d.png`),
    '-frames:v', String(job.count),
    // H.264 in yuv420p needs even dimensions.
    '-vf', 'scale=trunc(iw/2)*2:trunc(ih/2)*2', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-r', String(job.fps),
    '-movflags', '+faststart', '-f', 'mp4', partial,
  ];
  try {
    await run(ffmpeg, argv, { maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    await rm(partial, { force: true });
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new InputError(`${ffmpeg} was not found; install ffmpeg (apt-get install ffmpeg)`);
    throw new InputError(`ffmpeg could not encode ${job.modality}: ${(e.stderr ?? e.message).trim().split('\n').at(-1)}`);
  }
  await rename(partial, job.path);
}

function findGaps(sorted: number[]): number[] {
  const missing: number[] = [];
  for (let i = 1; i < sorted.length; i++) {
    for (let n = sorted[i - 1]! + 1; n < sorted[i]!; n++) missing.push(n);
  }
  return missing;
}

const sameRange = (a: number[], b: number[]) => a.length === b.length && a[0] === b[0];
const describeRange = (n: number[]) => `${String(n[0]).padStart(4, '0')}–${String(n.at(-1)).padStart(4, '0')} (${n.length})`;
