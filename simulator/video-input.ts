import { probeMp4File, type Mp4Info } from '../src/gpu/mp4.js';
import { hostPathForRead } from './container-fs.js';
import { PythonException, type PyFrame } from './python-traceback.js';
import { reprPython } from './python-json.js';

export interface Size {
  width: number;
  height: number;
}

const BUCKETS: { aspect: number; size: Size }[] = [
  { aspect: 16 / 9, size: { width: 1280, height: 704 } },
  { aspect: 4 / 3, size: { width: 960, height: 704 } },
  { aspect: 1, size: { width: 960, height: 960 } },
  { aspect: 3 / 4, size: { width: 704, height: 960 } },
  { aspect: 9 / 16, size: { width: 704, height: 1280 } },
];

const MAX_FRAMES = 5000;
const CHUNK_FRAMES = 121;

/** The output resolution: the bucket whose aspect ratio is closest to the input's. */
export function chooseBucket(input: Size): Size {
  const aspect = input.width / input.height;
  const best = BUCKETS.reduce((a, b) => (Math.abs(b.aspect - aspect) < Math.abs(a.aspect - aspect) ? b : a));
  return best.size;
}

/** 121-frame chunks overlapping by one conditioning frame: N_clip = ceil((T-1)/120), at least 1. */
export function countChunks(frames: number): number {
  return Math.max(1, Math.ceil((frames - 1) / (CHUNK_FRAMES - 1)));
}

export async function readVideo(path: string, frames: PyFrame[]): Promise<Mp4Info> {
  const hostPath = hostPathForRead(path);
  if (hostPath === undefined) {
    throw new PythonException('FileNotFoundError', `[Errno 2] No such file or directory: ${reprPython(path)}`, frames);
  }
  try {
    const info = await probeMp4File(hostPath);
    return { ...info, frames: Math.min(info.frames, MAX_FRAMES) };
  } catch (error) {
    throw new PythonException('RuntimeError', `Error reading ${path}: ${(error as Error).message}`, frames);
  }
}
