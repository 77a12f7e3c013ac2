import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeHostileMp4 } from '../helpers/hostile-mp4.js';
import { countRows } from '../helpers/migrated-db.js';
import { demoInputs } from '../helpers/pipeline-harness.js';
import { createApiHarness, type ApiHarness } from './api-helpers.js';

// The model's input rules through the HTTP API (the CLI's are in cli-args.test.ts): each refusal is a 400 that
// names the problem and writes nothing.
describe('the API refuses input the model would fail on, writing nothing', () => {
  let api: ApiHarness;
  let promptId: string;
  let completedRunId: string;

  beforeAll(async () => {
    api = await createApiHarness();
    const created = await api.call('POST', '/prompts', { body: { text: 'a harbour at dawn', videoDir: demoInputs } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    promptId = created.body.prompt.id;
    const started = await api.call('POST', '/runs', { body: { promptId } });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    completedRunId = started.body.run.id;
    expect((await api.waitForRun(completedRunId)).status).toBe('completed');
  });
  afterAll(async () => api?.close());

  async function expectRefused(method: string, path: string, body: unknown, message: RegExp) {
    const before = await countRows(api.h.db);
    const response = await api.call(method, path, { body });
    expect(response.status, JSON.stringify(response.body)).toBe(400);
    expect(JSON.stringify(response.body)).toMatch(message);
    expect(await countRows(api.h.db)).toEqual(before);
  }

  it('refuses a run whose control weights are all 0', async () => {
    await expectRefused('POST', '/runs', { promptId, params: { weights: { vis: 0, edge: 0, depth: 0, seg: 0 } } }, /at least one control weight/);
  });

  it('refuses a batch item whose control weights add up to 0', async () => {
    await expectRefused('POST', '/batches', {
      promptIds: [promptId], params: { weights: { vis: 0, edge: 0 } }, weights: { [promptId]: { depth: 0, seg: 0 } },
    }, /at least one control weight/);
  });

  it('refuses a blank upscale prompt', async () => {
    await expectRefused('POST', `/runs/${completedRunId}/upscale`, { prompt: '  \n ' }, /upscale prompt is blank/);
  });

  it('counts an upscale prompt in characters: 10 001 emoji are refused with the real count', async () => {
    await expectRefused('POST', `/runs/${completedRunId}/upscale`, { prompt: '🚢'.repeat(10_001) }, /10001 characters; the limit is 10000/);
  });

  it('refuses prompt text with a lone surrogate instead of storing U+FFFD', async () => {
    const before = await countRows(api.h.db);
    const response = await api.call('POST', '/prompts', { raw: `{"text":"a harbour \\ud800 at dawn","videoDir":${JSON.stringify(demoInputs)}}` });
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.body)).toMatch(/lone UTF-16 surrogate/);
    expect(await countRows(api.h.db)).toEqual(before);
  });

  it('refuses three prompts whose color.mp4 declares a 2 GB box without the server allocating by the declared size', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cosmos-hostile-mp4-'));
    try {
      await writeHostileMp4(join(dir, 'color.mp4'));
      const before = await countRows(api.h.db);
      const rssBefore = process.memoryUsage().rss;
      for (let i = 0; i < 3; i++) {
        const response = await api.call('POST', '/prompts', { body: { text: `hostile ${i}`, videoDir: dir } });
        expect(response.status).toBe(400);
        expect(JSON.stringify(response.body)).toMatch(/not an MP4/);
      }
      // The old probe allocated the declared 2 GB per request (its time and memory are in bench/mp4-hostile.ts).
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(200 * 1024 * 1024);
      expect(await countRows(api.h.db)).toEqual(before);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['/hosts?verbose=1', 'verbose'],
    ['/runs/RUN?events=1&eventsLimt=3', 'eventsLimt'],
    ['/prompts/PROMPT?with=runs', 'with'],
    ['/runs?access_token=abc', 'access_token'],
  ])('answers GET %s with a 400 naming the unknown parameter', async (path, name) => {
    const response = await api.call('GET', path.replace('RUN', completedRunId).replace('PROMPT', promptId));
    expect(response.status).toBe(400);
    expect(response.body.error.fields).toHaveProperty(name);
  });
});
