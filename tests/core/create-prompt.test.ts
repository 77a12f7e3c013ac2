import { cp, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrompt, deriveName } from '../../src/core/create-prompt.js';
import { InputError } from '../../src/core/input-error.js';
import type { Db } from '../../src/db/client.js';
import { demoInputs } from '../helpers/pipeline-harness.js';
import { countRows, openMigratedDb } from '../helpers/migrated-db.js';

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

  const bad: [string, () => Promise<{ text: string; videoDir: string; name?: string }>, RegExp][] = [
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
  ];
  it.each(bad)('rejects %s with a clear error and writes nothing', async (_what, request, message) => {
    const before = await countRows(db);
    const error = await createPrompt(db, await request(), defaults).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(message);
    expect(await countRows(db)).toEqual(before);
  });
});

describe('deriveName', () => {
  it('makes a short word_word_word slug from the first meaningful words', () => {
    expect(deriveName('The robot arm, in a kitchen!')).toBe('robot_arm_kitchen');
    expect(deriveName('$(rm -rf /) `x`')).toBe('rm_rf_x');
    expect(deriveName('!!!')).toBe('prompt');
  });
});
