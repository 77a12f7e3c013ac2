import { spawn } from 'node:child_process';
import { accessSync, constants, copyFileSync, existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { hostPathForWrite } from './container-fs.js';
import { writeMinimalMp4 } from './mp4-writer.js';

export interface VideoShape {
  width: number;
  height: number;
  frames: number;
  fps: number;
}

/**
 * Renders a test pattern with ffmpeg when it is on PATH (grey for control videos), else writes a minimal MP4.
 * A render is kept in `cacheDir` (the simulator's home) and copied for the next video of the same shape: the
 * pattern depends on nothing else, and encoding it is most of a short simulated job's CPU time.
 */
export async function writeVideo(containerPath: string, shape: VideoShape, options: { grey?: boolean; cacheDir: string }): Promise<void> {
  const path = hostPathForWrite(containerPath);
  mkdirSync(dirname(path), { recursive: true });
  const ffmpeg = findOnPath('ffmpeg');
  if (!ffmpeg) return writeMinimalMp4(path, shape.width, shape.height, shape.frames, shape.fps);
  const cached = join(options.cacheDir, 'rendered', `${shape.width}x${shape.height}-${shape.fps}fps-${shape.frames}${options.grey ? '-grey' : ''}.mp4`);
  if (!existsSync(cached)) {
    mkdirSync(dirname(cached), { recursive: true });
    // Rendered aside and renamed: two containers may render the same shape at once.
    const partial = `${cached}.${process.pid}.partial.mp4`;
    await renderPattern(ffmpeg, partial, shape, options.grey ?? false);
    renameSync(partial, cached);
  }
  copyFileSync(cached, path);
}

async function renderPattern(ffmpeg: string, path: string, shape: VideoShape, grey: boolean): Promise<void> {
  const source = `testsrc2=size=${shape.width}x${shape.height}:rate=${shape.fps}${grey ? ',hue=s=0' : ''}`;
  const args = [
    '-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', source, '-frames:v', String(shape.frames),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '38', '-pix_fmt', 'yuv420p', path,
  ];
  await new Promise<void>((resolve, reject) => {
    const child = spawn(ffmpeg, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}: ${stderr}`))));
  });
}

function findOnPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return join(dir, command);
    } catch {
      // not in this directory
    }
  }
  return undefined;
}
