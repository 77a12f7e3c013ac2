import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeMp4File } from '../../src/gpu/mp4.js';
import { parseJson, runCosmos, type CosmosResult } from '../helpers/run-cosmos.js';

const exec = promisify(execFile);

async function renderPngs(dir: string, modality: string, frames: number, size: string, source = 'testsrc'): Promise<void> {
  await exec('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `${source}=size=${size}:rate=24`, '-frames:v', String(frames), '-start_number', '1', join(dir, `${modality}.%04d.png`)]);
}

describe('cosmos prepare (built executable, ffmpeg)', () => {
  let dir: string;
  let configPath: string;
  const cosmos = (...args: string[]): Promise<CosmosResult> => runCosmos(configPath, args);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cosmos-prepare-'));
    // prepare needs no database; the config only has to be valid.
    configPath = join(dir, 'cosmos.toml');
    await writeFile(configPath, `data_dir = ${JSON.stringify(join(dir, 'data'))}\n`);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('renders color, depth and segmentation sequences into videos with the right frame count and fps', async () => {
    const shot = await mkdtemp(join(dir, 'shot-'));
    await renderPngs(shot, 'color', 10, '65x49');
    await renderPngs(shot, 'depth', 10, '65x49', 'rgbtestsrc');
    await renderPngs(shot, 'segmentation', 10, '65x49', 'smptebars');
    const human = await cosmos('prepare', shot, '--fps', '12');
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`wrote ${join(shot, 'color.mp4')} (10 frames, 64×48, 12 fps)`);
    for (const name of ['color', 'depth', 'segmentation']) {
      expect(await probeMp4File(join(shot, `${name}.mp4`))).toMatchObject({ frames: 10, fps: 12, width: 64, height: 48 });
    }
  });

  it('writes to --out, prints JSON, and warns when a control sequence covers other frames than color', async () => {
    const shot = await mkdtemp(join(dir, 'shot-'));
    const out = await mkdtemp(join(dir, 'out-'));
    await renderPngs(shot, 'color', 9, '64x48');
    await renderPngs(shot, 'depth', 7, '64x48');
    const result = await cosmos('prepare', shot, '--out', out, '--json');
    expect(result.stderr).toBe('cosmos: warning: depth has frames 0001–0007 (7) but color has 0001–0009 (9)\n');
    const prepared = parseJson<{ outDir: string; fps: number; videos: { modality: string; frames: number; fps: number }[] }>(result);
    expect(prepared).toMatchObject({ outDir: out, fps: 24 });
    expect(prepared.videos.map((v) => [v.modality, v.frames, v.fps])).toEqual([['color', 9, 24], ['depth', 7, 24]]);
    expect(await probeMp4File(join(out, 'color.mp4'))).toMatchObject({ frames: 9, fps: 24 });
  });

  it('refuses a sequence with a gap, a sequence without color, and a bad --fps, writing nothing', async () => {
    const gappy = await mkdtemp(join(dir, 'gap-'));
    await renderPngs(gappy, 'color', 8, '64x48');
    await rm(join(gappy, 'color.0005.png'));
    expect(await cosmos('prepare', gappy)).toMatchObject({ code: 1, stderr: 'cosmos: color sequence has a gap: frame 0005 missing\n' });
    const noColor = await mkdtemp(join(dir, 'nocolor-'));
    await renderPngs(noColor, 'depth', 3, '64x48');
    expect(await cosmos('prepare', noColor)).toMatchObject({ code: 1, stderr: expect.stringContaining('has no color.<frame>.png files') });
    expect(await cosmos('prepare', gappy, '--fps', '0')).toMatchObject({ code: 2, stderr: expect.stringContaining('--fps expects a whole number from 1 to 120') });
    expect(await cosmos('prepare', join(dir, 'missing'))).toMatchObject({ code: 1, stderr: expect.stringContaining('is not a readable directory') });
    expect(await exec('ls', [gappy]).then((r) => r.stdout)).not.toContain('.mp4');
  });
});
