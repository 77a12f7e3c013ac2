import { execFileSync } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countRows } from '../helpers/migrated-db.js';
import { demoInputs, makeUniqueInputs } from '../helpers/pipeline-harness.js';
import { createApiHarness, type ApiHarness } from './api-helpers.js';

describe('the API serves a file only while it is what was recorded (real stack)', () => {
  let api: ApiHarness;
  let runId: string;
  let outputPath: string;
  let promptId: string;
  let inputDir: string;

  beforeAll(async () => {
    api = await createApiHarness();
    inputDir = await makeUniqueInputs(api.h.dir);
    const prompt = await api.call('POST', '/prompts', { body: { text: 'a paper boat on a rainy street', videoDir: inputDir } });
    promptId = prompt.body.prompt.id;
    const started = await api.call('POST', '/runs', { body: { promptId } });
    runId = started.body.run.id;
    const run = await api.waitForRun(runId);
    expect(run.status).toBe('completed');
    outputPath = run.outputs!.files.find((f) => f.name === 'output.mp4')!.path;
  });
  afterAll(() => api?.close());

  const get = (path: string) => api.call('GET', path);
  /** Swaps `path` for whatever `replace` makes there, runs `check`, and puts the original back. */
  async function withReplaced(path: string, replace: () => Promise<void>, check: () => Promise<void>) {
    await rename(path, `${path}.kept`);
    try {
      await replace();
      await check();
    } finally {
      await rm(path, { recursive: true, force: true });
      await rename(`${path}.kept`, path);
    }
  }
  const expectChanged = (res: { status: number; body: any }) => {
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'file_changed', message: expect.stringContaining('changed since it was recorded') });
  };

  it('serves the recorded output and input as they are', async () => {
    expect((await get(`/runs/${runId}/files/output.mp4`)).status).toBe(200);
    expect((await get(`/prompts/${promptId}/inputs/video`)).status).toBe(200);
  });

  it('answers 409 when a run output was replaced by a symlink to a secret, and never sends its bytes', async () => {
    await withReplaced(outputPath, () => symlink('/etc/passwd', outputPath), async () => {
      const res = await get(`/runs/${runId}/files/output.mp4`);
      expectChanged(res);
      expect(JSON.stringify(res.body)).not.toContain('root:');
    });
  });

  it('answers 409 when an output keeps its size but not its sha256 (checked on first serve), or changes its size', async () => {
    const original = await readFile(outputPath);
    await withReplaced(outputPath, () => writeFile(outputPath, Buffer.alloc(original.length, 7)), async () => {
      expectChanged(await get(`/runs/${runId}/files/output.mp4`));
    });
    await withReplaced(outputPath, () => writeFile(outputPath, Buffer.concat([original, Buffer.from('more')])), async () => {
      expectChanged(await get(`/runs/${runId}/files/output.mp4`));
    });
    // Rewritten in place after a good serve (the hash is cached by identity, and a rewrite changes it).
    expect((await get(`/runs/${runId}/files/output.mp4`)).status).toBe(200);
    const tampered = Buffer.from(original);
    tampered.writeUInt8(tampered.readUInt8(tampered.length - 1) ^ 0xff, tampered.length - 1);
    await writeFile(outputPath, tampered);
    try {
      expectChanged(await get(`/runs/${runId}/files/output.mp4`));
    } finally {
      await writeFile(outputPath, original);
    }
    expect((await get(`/runs/${runId}/files/output.mp4`)).status).toBe(200);
  });

  it('answers 409 at once for an output that became a FIFO or a directory, instead of blocking on it', async () => {
    await withReplaced(outputPath, async () => { execFileSync('mkfifo', [outputPath]); }, async () => {
      expectChanged(await get(`/runs/${runId}/files/output.mp4`));
    });
    await withReplaced(outputPath, async () => { execFileSync('mkdir', [outputPath]); }, async () => {
      expectChanged(await get(`/runs/${runId}/files/output.mp4`));
    });
  });

  it('answers 409 when the run directory itself was swapped for a symlink to a copy elsewhere', async () => {
    const runDir = join(outputPath, '..');
    const copy = join(api.h.dir, 'elsewhere');
    await cp(runDir, copy, { recursive: true });
    await withReplaced(runDir, () => symlink(copy, runDir), async () => {
      expectChanged(await get(`/runs/${runId}/files/output.mp4`));
    });
    expect((await get(`/runs/${runId}/files/output.mp4`)).status).toBe(200);
  });

  it('answers 409 when a registered input video was replaced by a symlink or by other bytes of another size', async () => {
    const color = join(inputDir, 'color.mp4');
    await withReplaced(color, () => symlink('/etc/passwd', color), async () => {
      const res = await get(`/prompts/${promptId}/inputs/video`);
      expectChanged(res);
      expect(JSON.stringify(res.body)).not.toContain('root:');
    });
    await withReplaced(color, () => writeFile(color, 'a different, shorter file'), async () => {
      expectChanged(await get(`/prompts/${promptId}/inputs/video`));
    });
    await withReplaced(inputDir, async () => {
      await cp(`${inputDir}.kept`, `${inputDir}-copy`, { recursive: true });
      await symlink(`${inputDir}-copy`, inputDir);
    }, async () => {
      expectChanged(await get(`/prompts/${promptId}/inputs/video`));
    });
    expect((await get(`/prompts/${promptId}/inputs/video`)).status).toBe(200);
  });

  it('records the real directory of inputs given through a symbolic link, so they are served', async () => {
    const linked = join(api.h.dir, 'linked-inputs');
    await symlink(inputDir, linked);
    const prompt = await api.call('POST', '/prompts', { body: { text: 'a paper boat, registered through a link', videoDir: linked } });
    expect(prompt.body.prompt.inputs.video.path).toBe(join(inputDir, 'color.mp4'));
    expect((await get(`/prompts/${prompt.body.prompt.id}/inputs/video`)).status).toBe(200);
  });

  it('answers 404 file_missing for a recorded file that is gone', async () => {
    await withReplaced(outputPath, async () => {}, async () => {
      expect(await get(`/runs/${runId}/files/output.mp4`)).toMatchObject({ status: 404, body: { error: { code: 'file_missing' } } });
    });
  });

  it('records a poster for each registered input and serves it, and a refused prompt leaves no poster behind', async () => {
    const shown = (await get(`/prompts/${promptId}`)).body.prompt.inputs;
    expect(shown.video.posterUrl).toBe(`/prompts/${promptId}/inputs/video/poster`);
    const poster = await api.app.request(shown.video.posterUrl, { headers: { Authorization: `Bearer ${api.config.api.token}` } });
    expect(poster.status).toBe(200);
    expect(poster.headers.get('content-type')).toBe('image/jpeg');
    expect((await readFile(shown.video.poster.path)).equals(Buffer.from(await poster.arrayBuffer()))).toBe(true);

    const posterDir = join(api.config.dataDir, 'posters');
    const postersBefore = (await readdir(posterDir)).sort();
    const rowsBefore = await countRows(api.h.db);
    // depth.mp4 with another frame count than color.mp4: refused after both were read.
    const mismatched = await mkdtemp(join(api.h.dir, 'mismatched-'));
    await cp(join(demoInputs, 'color.mp4'), join(mismatched, 'color.mp4'));
    await writeFile(join(mismatched, 'color.mp4'), Buffer.concat([await readFile(join(mismatched, 'color.mp4')), Buffer.from([0, 0, 0, 8, 0x66, 0x72, 0x65, 0x65])]));
    execFileSync('ffmpeg', ['-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=1280x704:rate=24', '-frames:v', '10', '-pix_fmt', 'yuv420p', join(mismatched, 'depth.mp4')]);
    const refused = await api.call('POST', '/prompts', { body: { text: 'a refused prompt', videoDir: mismatched } });
    expect(refused.status).toBe(400);
    expect((await readdir(posterDir)).sort()).toEqual(postersBefore);
    expect(await countRows(api.h.db)).toEqual(rowsBefore);
  });
});
