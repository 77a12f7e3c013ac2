import { execFile } from 'node:child_process';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Mp4Error, probeMp4, probeMp4File } from '../../src/gpu/mp4.js';
import { manyFreeBoxes, writeHostileMp4 } from '../helpers/hostile-mp4.js';

const run = promisify(execFile);
let dir: string;

async function makeVideo(name: string, size: string, rate: number, frames: number, extra: string[] = []) {
  const path = join(dir, name);
  await run('ffmpeg', [
    '-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${rate}`,
    '-frames:v', String(frames), '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', ...extra, path,
  ]);
  return path;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mp4-test-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('probeMp4', () => {
  it('reads size, frame count and fps of an ffmpeg video whose moov follows mdat', async () => {
    const path = await makeVideo('plain.mp4', '320x180', 24, 121);
    const bytes = await readFile(path);
    expect(String.fromCharCode(...bytes.subarray(4, 8))).toBe('ftyp');
    const info = await probeMp4(bytes);
    expect(info).toMatchObject({ width: 320, height: 180, frames: 121, fps: 24 });
    expect(info.durationSeconds).toBeCloseTo(121 / 24, 3);
  });

  it('reads a faststart video whose moov comes first', async () => {
    const path = await makeVideo('faststart.mp4', '640x480', 30, 45, ['-movflags', '+faststart']);
    expect(await probeMp4File(path)).toMatchObject({ width: 640, height: 480, frames: 45, fps: 30 });
  });

  it('finds the video track when an audio track comes first', async () => {
    const path = join(dir, 'audio-first.mp4');
    await run('ffmpeg', [
      '-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=2', '-f', 'lavfi', '-i',
      'testsrc2=size=160x90:rate=24:duration=2', '-map', '0:a', '-map', '1:v', '-c:a', 'aac',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', path,
    ]);
    expect(await probeMp4File(path)).toMatchObject({ width: 160, height: 90, frames: 48, fps: 24 });
  });

  it('reads a box with a 64-bit size and a last box whose size is zero', async () => {
    const bytes = await readFile(await makeVideo('wide.mp4', '320x180', 24, 10));
    const ftypSize = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0);
    const rest = bytes.subarray(ftypSize);
    const rewritten = Buffer.concat([
      largeSizeBox('free', Buffer.alloc(3)),
      zeroSizedTail(rest),
    ]);
    expect(await probeMp4(rewritten)).toMatchObject({ width: 320, height: 180, frames: 10 });
  });

  it('rejects a file without a moov box', async () => {
    await expect(probeMp4(Buffer.alloc(0))).rejects.toThrow('not an MP4: no moov box');
  });

  it('rejects garbage bytes with a clear error', async () => {
    const path = join(dir, 'garbage.mp4');
    await writeFile(path, 'this is not a video at all\n'.repeat(10));
    await expect(probeMp4File(path)).rejects.toThrow(Mp4Error);
    await expect(probeMp4File(path)).rejects.toThrow(/garbage\.mp4: (not an MP4|truncated)/);
  });

  it('rejects a truncated file', async () => {
    const bytes = await readFile(await makeVideo('cut.mp4', '320x180', 24, 24));
    await expect(probeMp4(bytes.subarray(0, bytes.length - 200))).rejects.toThrow(/truncated box 'moov'/);
  });

  it('rejects an MP4 holding only audio', async () => {
    const path = join(dir, 'audio.mp4');
    await run('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=duration=1', '-c:a', 'aac', path]);
    await expect(probeMp4File(path)).rejects.toThrow('no video track');
  });
});

describe('probeMp4File on hostile files', () => {
  it('rejects a sparse file whose moov header declares 2 GB without allocating by the declared size', async () => {
    const path = join(dir, 'hostile.mp4');
    await writeHostileMp4(path);
    const before = process.memoryUsage().arrayBuffers;
    await expect(probeMp4File(path)).rejects.toThrow(/hostile\.mp4: not an MP4: invalid box header at offset 40/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(50 * 1024 * 1024);
  });

  it('rejects a file of 2 GB zeros after ftyp (a size-0 box reaching to the end)', async () => {
    const path = join(dir, 'zero-tail.mp4');
    await writeHostileMp4(path);
    const file = await open(path, 'r+');
    await file.write(Buffer.from([0, 0, 0, 0]), 0, 4, 24);
    await file.close();
    await expect(probeMp4File(path)).rejects.toThrow(Mp4Error);
  });

  it('stops walking after a bounded number of boxes', async () => {
    const video = await readFile(await makeVideo('after-free.mp4', '64x48', 24, 2));
    await expect(probeMp4(Buffer.concat([manyFreeBoxes(30_000), video]))).rejects.toThrow(/more than 20000 boxes/);
    expect(await probeMp4(Buffer.concat([manyFreeBoxes(1000), video]))).toMatchObject({ width: 64, height: 48, frames: 2 });
  });

  it('rejects an stts box that declares more entries than it holds', async () => {
    const bytes = Buffer.from(await readFile(await makeVideo('stts.mp4', '64x48', 24, 3)));
    const stsz = bytes.indexOf('stsz', 0, 'latin1');
    bytes.write('xxxx', stsz, 'latin1');
    const stts = bytes.indexOf('stts', 0, 'latin1');
    bytes.writeUInt32BE(0xffff_ffff, stts + 8);
    await expect(probeMp4(bytes)).rejects.toThrow(/'stts' declares 4294967295 entries/);
  });
});

function largeSizeBox(type: string, payload: Buffer): Buffer {
  const header = Buffer.alloc(16);
  header.writeUInt32BE(1, 0);
  header.write(type, 4, 'latin1');
  header.writeBigUInt64BE(BigInt(16 + payload.length), 8);
  return Buffer.concat([header, payload]);
}

/** Sets the size field of the last top-level box to 0 ("extends to the end of the file"). */
function zeroSizedTail(boxes: Uint8Array): Buffer {
  const copy = Buffer.from(boxes);
  let offset = 0;
  for (;;) {
    const size = copy.readUInt32BE(offset);
    if (offset + size >= copy.length) break;
    offset += size;
  }
  copy.writeUInt32BE(0, offset);
  return copy;
}
