import { execFile } from 'node:child_process';
import { cp, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrompt, deriveName } from '../../src/core/create-prompt.js';
import { InputError } from '../../src/core/input-error.js';
import type { Db } from '../../src/db/client.js';
import { demoInputs } from '../helpers/pipeline-harness.js';
import { countRows, openMigratedDb } from '../helpers/migrated-db.js';

const run = promisify(execFile);

describe('createPrompt', () => {
  let db: Db;
  let close: () => Promise<void>;
  const defaults = { negativePrompt: 'blurry, low quality' };

  beforeAll(async () => ({ db, close } = await openMigratedDb()));
  afterAll(() => close?.());

  it('stores the text, hashed inputs with their video facts, a derived name and the default negative prompt', async () => {
    const { prompt, created } = await createPrompt(db, { text: 'A foggy harbour at dawn, cinematic', videoDir: demoInputs }, defaults);
    expect(created).toBe(true);
    expect(prompt.id).toMatch(/^ps_[0-9a-f]{32}$/);
    expect(prompt.name).toBe('foggy_harbour_dawn');
    expect(prompt.negativePrompt).toBe(defaults.negativePrompt);
    expect(prompt.inputs.video).toMatchObject({ path: join(demoInputs, 'color.mp4'), width: 320, height: 180, frames: 121 });
    expect(prompt.inputs.video.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(prompt.inputs.depth?.path).toBe(join(demoInputs, 'depth.mp4'));
    expect(prompt.inputs.seg).toBeUndefined();
  });

  it('returns the existing prompt for the same text and the same input files', async () => {
    const first = await createPrompt(db, { text: 'the same twice', videoDir: demoInputs }, defaults);
    const copy = await mkdtemp(join(tmpdir(), 'cosmos-copy-'));
    await cp(demoInputs, copy, { recursive: true });
    const second = await createPrompt(db, { text: 'the same twice', videoDir: copy }, defaults);
    expect(second).toEqual({ prompt: first.prompt, created: false });
  });

  const bad: [string, () => Promise<{ text: string; videoDir: string; name?: string; negativePrompt?: string }>, RegExp][] = [
    ['a missing color.mp4', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'cosmos-nocolor-'));
      await cp(join(demoInputs, 'depth.mp4'), join(dir, 'depth.mp4'));
      return { text: 'x', videoDir: dir };
    }, /no color\.mp4/],
    ['a nonexistent directory', async () => ({ text: 'x', videoDir: '/nonexistent/videos' }), /does not exist/],
    ['a color.mp4 that is not a video', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'cosmos-garbage-'));
      await writeFile(join(dir, 'color.mp4'), 'not a video at all');
      return { text: 'x', videoDir: dir };
    }, /not a usable input video/],
    ['blank text', async () => ({ text: '  \n ', videoDir: demoInputs }), /blank/],
    ['a NUL byte in the text', async () => ({ text: 'a\0b', videoDir: demoInputs }), /NUL/],
    ['text over 10 000 characters', async () => ({ text: 'x'.repeat(10_001), videoDir: demoInputs }), /limit is 10000/],
    ['a name with shell metacharacters', async () => ({ text: 'x', videoDir: demoInputs, name: 'a;rm -rf $(x)' }), /name/],
    ['a name with path traversal', async () => ({ text: 'x', videoDir: demoInputs, name: '../../etc' }), /name/],
    ['10 001 emoji (counted in code points, not UTF-16 units)', async () => ({ text: '🚢'.repeat(10_001), videoDir: demoInputs }), /is 10001 characters; the limit is 10000/],
    ['a lone high surrogate', async () => ({ text: 'a harbour \ud83d at dawn', videoDir: demoInputs }), /lone UTF-16 surrogate \(U\+D83D\) at position 10/],
    ['a lone low surrogate in the negative prompt', async () => ({ text: 'x', negativePrompt: '\ude00 blurry', videoDir: demoInputs }), /negative prompt contains a lone UTF-16 surrogate/],
    ['a depth.mp4 with fewer frames than color.mp4', async () => inputsWith({ size: '320x180', frames: 60 }),
      /depth\.mp4 has 60 frames but color\.mp4 has 121; control videos must have as many frames as color\.mp4/],
    ['a depth.mp4 of another aspect ratio than color.mp4', async () => inputsWith({ size: '240x180', frames: 121 }),
      /depth\.mp4 is 240×180 \(aspect 4:3\) but color\.mp4 is 320×180 \(aspect 16:9\)/],
  ];
  it('takes 10 000 emoji: the limit counts characters, not UTF-16 units', async () => {
    const { prompt } = await createPrompt(db, { text: '🚢'.repeat(10_000), videoDir: demoInputs }, defaults);
    expect([...prompt.promptText]).toHaveLength(10_000);
  });

  it('takes a depth.mp4 of another size in the same aspect bucket, which Cosmos resizes', async () => {
    const { prompt } = await createPrompt(db, { ...await inputsWith({ size: '640x360', frames: 121 }), text: 'same bucket, other size' }, defaults);
    expect(prompt.inputs.depth).toMatchObject({ width: 640, height: 360, frames: 121 });
  });

  it.each(bad)('rejects %s with a clear error and writes nothing', async (_what, request, message) => {
    const before = await countRows(db);
    const error = await createPrompt(db, await request(), defaults).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(message);
    expect(await countRows(db)).toEqual(before);
  });
});

/** The demo's color.mp4 (320×180, 121 frames) next to a depth.mp4 made to order. */
async function inputsWith(depth: { size: string; frames: number }): Promise<{ text: string; videoDir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'cosmos-controls-'));
  await cp(join(demoInputs, 'color.mp4'), join(dir, 'color.mp4'));
  await run('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${depth.size}:rate=24`, '-frames:v', String(depth.frames),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', join(dir, 'depth.mp4')]);
  return { text: `controls ${depth.size} ${depth.frames}`, videoDir: dir };
}

describe('deriveName', () => {
  it('makes a short word_word_word slug from the first meaningful words', () => {
    expect(deriveName('The robot arm, in a kitchen!')).toBe('robot_arm_kitchen');
    expect(deriveName('$(rm -rf /) `x`')).toBe('rm_rf_x');
    expect(deriveName('!!!')).toBe('prompt');
  });
});
