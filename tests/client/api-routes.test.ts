import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer } from '../../src/client/api/server.js';
import { countRows } from '../helpers/migrated-db.js';
import { demoInputs, makeUniqueInputs } from '../helpers/pipeline-harness.js';
import { createApiHarness, type ApiHarness } from './api-helpers.js';

const unknownRun = `rs_${'0'.repeat(32)}`;
const unknownPrompt = `ps_${'0'.repeat(32)}`;

describe('the HTTP API (real stack, simulator GPU host)', () => {
  let api: ApiHarness;
  let promptId: string;
  let completedRunId: string;

  beforeAll(async () => {
    api = await createApiHarness({ maxBodyBytes: 64 * 1024 });
    const created = await api.call('POST', '/prompts', { body: { text: 'a lighthouse in a storm, cinematic', videoDir: demoInputs } });
    promptId = created.body.prompt.id;
  });
  afterAll(() => api?.close());

  it('answers 401 in the one error shape without the token or with a wrong one, and keeps /health and the gallery open', async () => {
    const missing = await api.call('GET', '/runs', { auth: false });
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({ error: { code: 'unauthorized', message: expect.stringContaining('missing bearer token') } });
    expect(missing.headers.get('www-authenticate')).toContain('Bearer');
    const wrong = await api.call('GET', '/runs', { auth: false, headers: { Authorization: 'Bearer not-the-token' } });
    expect(wrong).toMatchObject({ status: 401, body: { error: { code: 'unauthorized', message: 'wrong bearer token' } } });
    expect((await api.call('POST', '/prompts', { auth: false, body: { text: 'x', videoDir: demoInputs } })).status).toBe(401);
    expect(await api.call('GET', '/health', { auth: false })).toMatchObject({ status: 200, body: { ok: true } });
    expect((await api.call('GET', '/health')).body).toEqual({ ok: true, database: 'ok', temporal: 'ok' });
    const gallery = await api.call('GET', '/', { auth: false });
    expect(gallery.status).toBe(200);
    expect(gallery.body).toContain('<script type="module" src="/gallery/gallery.js">');
  });

  it('refuses to listen beyond loopback without a token, and serves there with one', async () => {
    await expect(startApiServer(api.app, { bind: '0.0.0.0', port: 0, token: undefined })).rejects.toThrow(/refusing to serve the API on 0\.0\.0\.0 without a token/);
    const open = await startApiServer(api.app, { bind: '0.0.0.0', port: 0, token: api.config.api.token });
    try {
      const res = await fetch(`http://127.0.0.1:${open.port}/runs`);
      expect(res.status).toBe(401);
    } finally {
      await open.close();
    }
    const local = await startApiServer(api.app, { bind: '127.0.0.1', port: 0, token: undefined });
    expect(local.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await local.close();
  });

  it('creates a prompt once (201, then 200 for the same text and files), gets, lists and searches it', async () => {
    const again = await api.call('POST', '/prompts', { body: { text: 'a lighthouse in a storm, cinematic', videoDir: demoInputs } });
    expect(again).toMatchObject({ status: 200, body: { created: false, prompt: { id: promptId, name: 'lighthouse_storm_cinematic' } } });
    const shown = await api.call('GET', `/prompts/${promptId}`);
    expect(shown.status).toBe(200);
    expect(shown.body.prompt.inputs.video).toMatchObject({ url: `/prompts/${promptId}/inputs/video`, frames: 121 });
    const listed = await api.call('GET', '/prompts?limit=5');
    expect(listed.body.prompts.map((p: { id: string }) => p.id)).toContain(promptId);
    const found = await api.call('GET', '/prompts/search?q=LIGHTHOUSE');
    expect(found.body.prompts.map((p: { id: string }) => p.id)).toEqual([promptId]);
    expect((await api.call('GET', '/prompts/search?q=no-such-words')).body.prompts).toEqual([]);
  });

  it('answers bad input with 400 naming every bad field, and writes nothing', async () => {
    const before = await countRows(api.h.db);
    const bad = await api.call('POST', '/runs', {
      body: { promptId, params: { weights: { vis: 1.5 }, seed: 'x', num_steps: 0, colour: 'red' } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_request');
    expect(Object.keys(bad.body.error.fields)).toEqual(expect.arrayContaining(['params.weights.vis', 'params.seed', 'params.num_steps', 'params']));
    expect(bad.body.error.fields['params.weights.vis']).toMatch(/between 0 and 1/);

    expect((await api.call('POST', '/runs', { body: { promptId: 'ps_../../etc' } })).body.error.fields).toHaveProperty('promptId');
    expect((await api.call('POST', '/prompts', { body: { videoDir: 'relative/dir' } })).body.error.fields).toEqual({
      text: expect.any(String), videoDir: 'an absolute path on the API server',
    });
    expect(await api.call('POST', '/prompts', { raw: '{"text": ' })).toMatchObject({ status: 400, body: { error: { code: 'invalid_json' } } });
    expect((await api.call('POST', '/prompts', { headers: { 'Content-Type': 'text/plain' }, raw: 'hello' })).status).toBe(415);
    // Rules the core enforces arrive as the same shape.
    const blank = await api.call('POST', '/prompts', { body: { text: '   ', videoDir: demoInputs } });
    expect(blank).toMatchObject({ status: 400, body: { error: { code: 'invalid_request', message: 'prompt text is blank' } } });
    expect((await api.call('POST', '/prompts', { body: { text: 'x', videoDir: '/nonexistent' } })).status).toBe(400);
    expect((await api.call('POST', '/runs', { body: { promptId, host: 'nope' } })).body.error.message).toMatch(/GPU host "nope" is not configured/);
    expect((await api.call('GET', '/runs?status=exploded&limit=0')).body.error.fields).toMatchObject({ status: expect.any(String), limit: expect.any(String) });
    expect((await api.call('GET', '/analytics?days=-1')).status).toBe(400);
    expect(await countRows(api.h.db)).toEqual(before);
  });

  it('answers 404 for unknown ids, malformed ids, unrecorded files and unknown routes', async () => {
    for (const path of [
      `/runs/${unknownRun}`, `/prompts/${unknownPrompt}`, `/batches/bt_${'0'.repeat(32)}`, '/runs/not-an-id',
      `/runs/${unknownRun}/events`, `/runs/${unknownRun}/files/output.mp4`, `/prompts/${promptId}/inputs/seg`,
      `/prompts/${promptId}/inputs/..%2F..%2Fetc%2Fpasswd`, '/no/such/route',
    ]) {
      const res = await api.call('GET', path);
      expect({ path, status: res.status, code: res.body.error?.code }).toEqual({ path, status: 404, code: 'not_found' });
    }
    expect((await api.call('POST', `/runs/${unknownRun}/cancel`)).status).toBe(404);
    expect((await api.call('PUT', `/runs/${unknownRun}/rating`, { body: { rating: 3 } })).status).toBe(404);
    expect((await api.call('POST', `/prompts/${unknownPrompt}/enhance`)).status).toBe(404);
    expect((await api.call('POST', `/runs/${unknownRun}/upscale`)).status).toBe(404);
  });

  it('refuses a body over the limit with 413 and stores nothing', async () => {
    const before = await countRows(api.h.db);
    const res = await api.call('POST', '/prompts', { body: { text: 'x'.repeat(100 * 1024), videoDir: demoInputs } });
    expect(res).toMatchObject({ status: 413, body: { error: { code: 'body_too_large' } } });
    expect(await countRows(api.h.db)).toEqual(before);
  });

  it('starts an inference that completes, shows it with progress and files, and serves the video with Range', async () => {
    const started = await api.call('POST', '/runs', { body: { promptId, params: { weights: { vis: 0.5, edge: 0.5, depth: 0, seg: 0 }, seed: 3 } } });
    expect(started.status).toBe(201);
    expect(started.body.run).toMatchObject({ promptId, modelType: 'transfer', executionConfig: { seed: 3, weights: { vis: 0.5, depth: 0 } } });
    expect(started.body.workflowId).toBe(`run-${started.body.run.id}`);
    completedRunId = started.body.run.id;
    await api.waitForRun(completedRunId);

    const shown = await api.call('GET', `/runs/${completedRunId}?events=1`);
    expect(shown.body.run).toMatchObject({ status: 'completed', progress: 1, stage: null });
    expect(shown.body.files.map((f: { name: string }) => f.name)).toEqual(expect.arrayContaining(['output.mp4', 'spec.json', 'run.log']));
    expect(shown.body.events.map((e: { stage: string }) => e.stage)).toEqual(expect.arrayContaining(['uploading', 'generating', 'completed']));

    const video = shown.body.run.outputs.files.find((f: { name: string }) => f.name === 'output.mp4');
    const bytes = await readFile(video.path);
    const full = await api.app.request(`/runs/${completedRunId}/files/output.mp4`, { headers: { Authorization: `Bearer ${api.config.api.token}` } });
    expect(full.status).toBe(200);
    expect(full.headers.get('content-type')).toBe('video/mp4');
    expect(Buffer.from(await full.arrayBuffer()).equals(bytes)).toBe(true);

    // <video> elements send no header: the gallery's session cookie opens the file (never a token in the URL).
    const session = await api.call('POST', '/session', { auth: false, body: { token: api.config.api.token } });
    const cookie = String(session.headers.get('set-cookie')).split(';')[0]!;
    expect((await api.app.request(`/runs/${completedRunId}/files/output.mp4?access_token=${api.config.api.token}`)).status).toBe(401);
    const ranged = await api.app.request(`/runs/${completedRunId}/files/output.mp4`, { headers: { Cookie: cookie, Range: 'bytes=100-1099' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe(`bytes 100-1099/${bytes.length}`);
    expect(ranged.headers.get('content-length')).toBe('1000');
    expect(Buffer.from(await ranged.arrayBuffer()).equals(bytes.subarray(100, 1100))).toBe(true);

    const suffix = await api.call('GET', `/runs/${completedRunId}/files/output.mp4`, { headers: { Range: 'bytes=-10' } });
    expect(suffix.status).toBe(206);
    const beyond = await api.call('GET', `/runs/${completedRunId}/files/output.mp4`, { headers: { Range: `bytes=${bytes.length}-` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${bytes.length}`);
    expect((await api.call('GET', `/runs/${completedRunId}/files/..%2Fspec.json`)).status).toBe(404);

    const input = await api.app.request(`/prompts/${promptId}/inputs/depth`, { headers: { Authorization: `Bearer ${api.config.api.token}`, Range: 'bytes=0-7' } });
    expect(input.status).toBe(206);
    expect(Buffer.from(await input.arrayBuffer()).equals((await readFile(`${demoInputs}/depth.mp4`)).subarray(0, 8))).toBe(true);
  });

  it('lists runs with filters, rates a completed run, and refuses to cancel a finished one', async () => {
    const completed = await api.call('GET', `/runs?status=completed&promptId=${promptId}`);
    expect(completed.body.runs.map((r: { id: string }) => r.id)).toContain(completedRunId);
    expect((await api.call('GET', '/runs?status=failed')).body.runs).toEqual([]);
    expect((await api.call('GET', '/runs?modelType=upscale')).body.runs).toEqual([]);

    const rated = await api.call('PUT', `/runs/${completedRunId}/rating`, { body: { rating: 4 } });
    expect(rated).toMatchObject({ status: 200, body: { run: { id: completedRunId, rating: 4 } } });
    expect((await api.call('PUT', `/runs/${completedRunId}/rating`, { body: { rating: 6 } })).body.error.fields).toHaveProperty('rating');

    const cancel = await api.call('POST', `/runs/${completedRunId}/cancel`);
    expect(cancel).toMatchObject({ status: 400, body: { error: { message: expect.stringContaining('already completed') } } });
  });

  it('cancels a run that has not finished', async () => {
    const inputs = await makeUniqueInputs(api.h.dir);
    const prompt = await api.call('POST', '/prompts', { body: { text: 'a slow glacier calving', videoDir: inputs } });
    const started = await api.call('POST', '/runs', { body: { promptId: prompt.body.prompt.id } });
    const cancelled = await api.call('POST', `/runs/${started.body.run.id}/cancel`);
    expect(cancelled.status).toBe(202);
    const run = await api.waitForRun(started.body.run.id);
    expect(run).toMatchObject({ status: 'cancelled', failureKind: 'cancelled' });
  });

  it('starts an upscale of a completed run and an enhance of a prompt, each recording its lineage', async () => {
    const upscale = await api.call('POST', `/runs/${completedRunId}/upscale`, { body: { weight: 0.4 } });
    expect(upscale.status).toBe(201);
    expect(upscale.body.run).toMatchObject({ modelType: 'upscale', parentRunId: completedRunId, executionConfig: { control_weight: 0.4 } });
    const enhance = await api.call('POST', `/prompts/${promptId}/enhance`);
    expect(enhance.status).toBe(201);
    expect(enhance.body.run).toMatchObject({ modelType: 'enhance', promptId });
    const [upscaled, enhanced] = await Promise.all([api.waitForRun(upscale.body.run.id), api.waitForRun(enhance.body.run.id)]);
    expect(upscaled.status).toBe('completed');
    expect(enhanced.status).toBe('completed');
    const newPrompt = await api.call('GET', `/prompts/${(enhanced.outputs!.result as { promptId?: string } | undefined)?.promptId!}`);
    expect(newPrompt.body.prompt.parentPromptId).toBe(promptId);
    expect((await api.call('POST', `/runs/${upscale.body.run.id}/upscale`)).status).toBe(400);
  });

  it('starts a batch over two prompts that completes, shows it, and refuses bad batches', async () => {
    const other = await api.call('POST', '/prompts', { body: { text: 'a red kite over dunes', videoDir: demoInputs } });
    const started = await api.call('POST', '/batches', {
      body: { promptIds: [promptId, other.body.prompt.id], params: { seed: 9 }, weights: { [other.body.prompt.id]: { vis: 0.7 } } },
    });
    expect(started.status).toBe(201);
    expect(started.body.workflowId).toBe(`batch-${started.body.batch.id}`);
    expect(started.body.runs.map((r: { batchIndex: number }) => r.batchIndex)).toEqual([0, 1]);
    expect(started.body.runs[1].executionConfig).toMatchObject({ seed: 9, weights: { vis: 0.7 } });
    const runs = await Promise.all(started.body.runs.map((r: { id: string }) => api.waitForRun(r.id)));
    expect(runs.map((r) => r.status)).toEqual(['completed', 'completed']);
    const shown = await api.call('GET', `/batches/${started.body.batch.id}`);
    expect(shown.body.runs.map((r: { id: string }) => r.id)).toEqual(runs.map((r) => r.id));
    expect((await api.call('GET', `/runs?batchId=${started.body.batch.id}`)).body.runs).toHaveLength(2);
    expect((await api.call('POST', `/batches/${started.body.batch.id}/cancel`)).status).toBe(400);

    expect((await api.call('POST', '/batches', { body: { promptIds: [] } })).body.error.fields).toHaveProperty('promptIds');
    expect((await api.call('POST', '/batches', { body: { promptIds: [promptId, promptId] } })).body.error.message).toMatch(/appears twice/);
    expect((await api.call('POST', '/batches', { body: { promptIds: [promptId, unknownPrompt] } })).status).toBe(404);
  });

  it('reports the GPU host and analytics over the finished runs, and publishes an OpenAPI document', async () => {
    const hosts = await api.call('GET', '/hosts');
    expect(hosts.status).toBe(200);
    expect(hosts.body.hosts).toEqual([expect.objectContaining({ host: api.h.hostName, reachable: true, gpus: [expect.objectContaining({ index: 0 })] })]);

    const analytics = await api.call('GET', '/analytics?days=7');
    expect(analytics.status).toBe(200);
    const transfer = analytics.body.byModelType.find((m: { modelType: string }) => m.modelType === 'transfer');
    expect(transfer).toMatchObject({ completed: 3, failed: 0, cancelled: 1, successRate: 1 });
    expect(transfer.meanSeconds).toBeGreaterThan(0);
    expect(transfer.medianSeconds).toBeGreaterThan(0);
    expect(analytics.body.failureKinds).toEqual([{ kind: 'cancelled', count: 1 }]);
    expect(analytics.body.runsPerDay.at(-1)).toMatchObject({ day: new Date().toISOString().slice(0, 10), completed: 5 });
    expect(analytics.body.gpuHours).toBeGreaterThan(0);

    const openapi = await api.call('GET', '/openapi.json', { auth: false });
    expect(openapi.body.openapi).toBe('3.0.3');
    expect(Object.keys(openapi.body.paths)).toEqual(expect.arrayContaining(['/runs', '/runs/{id}/events', '/runs/{id}/files/{name}', '/analytics']));
    const [generic, legacy] = openapi.body.paths['/runs'].post.requestBody.content['application/json'].schema.oneOf;
    expect(generic.properties.modelType).toBeDefined();
    expect(legacy.properties.params.properties.weights).toBeDefined();
    expect(openapi.body.components.schemas['Params.transfer'].properties.weights.properties.vis).toMatchObject({ minimum: 0, maximum: 1 });
  });
});
