import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashFile } from '../../src/core/file-hash.js';
import { makeInputPoster, makeOutputPosters, makePoster } from '../../src/core/make-poster.js';
import { demoInputs } from '../helpers/pipeline-harness.js';

const widthOf = (path: string) => Number(execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width', '-of', 'csv=p=0', path]).toString().trim());

describe('poster frames (real ffmpeg)', () => {
  let dir: string;
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'cosmos-poster-')); });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes a JPEG of the first frame at most 640 px wide', async () => {
    const poster = join(dir, 'color.poster.jpg');
    expect(await makePoster(join(demoInputs, 'color.mp4'), poster)).toBe(true);
    const bytes = await readFile(poster);
    expect(bytes.subarray(0, 2).toString('hex')).toBe('ffd8');
    expect(widthOf(poster)).toBeGreaterThan(0);
    expect(widthOf(poster)).toBeLessThanOrEqual(640);
  });

  it('makes none, and leaves no partial file, for a file ffmpeg cannot decode', async () => {
    const junk = join(dir, 'junk');
    await rm(junk, { recursive: true, force: true });
    execFileSync('mkdir', [junk]);
    await writeFile(join(junk, 'output.mp4'), 'not a video at all');
    expect(await makeOutputPosters(junk, [{ name: 'output.mp4', path: join(junk, 'output.mp4'), bytes: 18, sha256: '0'.repeat(64) }])).toEqual([]);
    expect(await readdir(junk)).toEqual(['output.mp4']);
  });

  it('names an output poster after its video and returns it for the manifest', async () => {
    const run = join(dir, 'run');
    execFileSync('mkdir', ['-p', run]);
    execFileSync('cp', [join(demoInputs, 'color.mp4'), join(run, 'output.mp4')]);
    const names = await makeOutputPosters(run, [{ name: 'output.mp4', path: join(run, 'output.mp4'), bytes: 1, sha256: 'x' }, { name: 'spec.json', path: join(run, 'spec.json'), bytes: 1, sha256: 'x' }]);
    expect(names).toEqual(['output.poster.jpg']);
    expect((await stat(join(run, 'output.poster.jpg'))).size).toBeGreaterThan(100);
  });

  it('keeps one poster per input content, made once, recorded with the sha256 of the file on disk', async () => {
    const posters = join(dir, 'posters');
    const video = { path: join(demoInputs, 'depth.mp4'), ...(await hashFile(join(demoInputs, 'depth.mp4'))), width: 1, height: 1, frames: 1, fps: 24 };
    const first = await makeInputPoster(video, posters);
    expect(first).toEqual({ path: join(posters, `${video.sha256}.jpg`), ...(await hashFile(join(posters, `${video.sha256}.jpg`))) });
    const madeAt = (await stat(first!.path)).mtimeMs;
    const second = await makeInputPoster(video, posters);
    expect(second).toEqual(first);
    expect((await stat(first!.path)).mtimeMs).toBe(madeAt);
  });
});
