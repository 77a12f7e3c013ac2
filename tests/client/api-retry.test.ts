import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setFaults } from '../../simulator/install.js';
import { countRows } from '../helpers/migrated-db.js';
import { makeUniqueInputs } from '../helpers/pipeline-harness.js';
import { seedRun } from '../helpers/seed-records.js';
import { createApiHarness, type ApiHarness } from './api-helpers.js';

const unknownRun = `rs_${'0'.repeat(32)}`;

describe('POST /runs/:id/retry (real stack, simulator GPU host)', () => {
  let api: ApiHarness;
  let explodingPromptId: string;
  let calmPromptId: string;
  let failedRunId: string;
  let failedEnhanceId: string;
  let retriedRunId: string;

  async function createPrompt(text: string): Promise<string> {
    const created = await api.call('POST', '/prompts', { body: { text, videoDir: await makeUniqueInputs(api.h.dir) } });
    expect(created.status).toBe(201);
    return created.body.prompt.id;
  }

  beforeAll(async () => {
    api = await createApiHarness();
    explodingPromptId = await createPrompt('a lighthouse that will explode in the storm');
    calmPromptId = await createPrompt('a calm lake under the stars');
    await setFaults(api.h.simHome, [{ promptContains: 'explode', mode: 'exit1' }]);
    const started = await api.call('POST', '/runs', { body: { promptId: explodingPromptId, params: { seed: 5, weights: { vis: 0.7, seg: 0 } } } });
    failedRunId = started.body.run.id;
    const enhance = await api.call('POST', `/prompts/${explodingPromptId}/enhance`);
    failedEnhanceId = enhance.body.run.id;
    expect(await api.waitForRun(failedRunId)).toMatchObject({ status: 'failed' });
    expect(await api.waitForRun(failedEnhanceId)).toMatchObject({ status: 'failed' });
    await setFaults(api.h.simHome, []);
  });
  afterAll(() => api?.close());

  it('answers 201 with the shape of POST /runs, and the new run completes with the same prompt and configuration', async () => {
    const failed = (await api.call('GET', `/runs/${failedRunId}`)).body.run;
    const res = await api.call('POST', `/runs/${failedRunId}/retry`);
    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(['files', 'hint', 'run', 'webUi', 'workflowId']);
    retriedRunId = res.body.run.id;
    expect(res.body).toMatchObject({ workflowId: `run-${retriedRunId}`, files: [], hint: null });
    expect(res.body.run).toMatchObject({
      // Not pinned: the retry takes the first free slot on any host that serves it.
      status: 'pending', modelType: 'transfer', promptId: explodingPromptId, gpuHost: null,
      executionConfig: failed.executionConfig, retryOfRunId: failedRunId, parentRunId: null,
    });
    expect(res.body.run.executionConfig).toMatchObject({ seed: 5, weights: { vis: 0.7, seg: 0 } });

    expect(await api.waitForRun(retriedRunId)).toMatchObject({ status: 'completed' });
    const shown = await api.call('GET', `/runs/${retriedRunId}`);
    expect(shown.body.run).toMatchObject({ status: 'completed', retryOfRunId: failedRunId });
    expect(shown.body.files.map((f: { name: string }) => f.name)).toContain('output.mp4');
    expect((await api.call('GET', `/runs/${failedRunId}`)).body.run).toMatchObject({ status: 'failed', retryOfRunId: null });
  });

  it('retries an enhance run as an enhance that writes the enhanced prompt', async () => {
    const res = await api.call('POST', `/runs/${failedEnhanceId}/retry`, { body: {} });
    expect(res.status).toBe(201);
    expect(res.body.run).toMatchObject({ modelType: 'enhance', promptId: explodingPromptId, retryOfRunId: failedEnhanceId });
    const done = await api.waitForRun(res.body.run.id);
    expect(done.status).toBe('completed');
    expect((done.outputs?.result as { promptId?: string } | undefined)?.promptId).toMatch(/^ps_/);
  });

  it('retries a failed batch member as a single inference of its prompt with its own configuration', async () => {
    await setFaults(api.h.simHome, [{ promptContains: 'explode', mode: 'exit1' }]);
    const batch = await api.call('POST', '/batches', {
      body: { promptIds: [calmPromptId, explodingPromptId], params: { seed: 11 }, weights: { [explodingPromptId]: { vis: 0.9 } } },
    });
    expect(batch.status).toBe(201);
    const member = batch.body.runs.find((r: { promptId: string }) => r.promptId === explodingPromptId);
    for (const run of batch.body.runs) await api.waitForRun(run.id);
    await setFaults(api.h.simHome, []);
    const failedMember = (await api.call('GET', `/runs/${member.id}`)).body.run;
    expect(failedMember).toMatchObject({ status: 'failed', batchId: batch.body.batch.id });

    const res = await api.call('POST', `/runs/${member.id}/retry`);
    expect(res.status).toBe(201);
    expect(res.body.run).toMatchObject({
      modelType: 'transfer', promptId: explodingPromptId, batchId: null, batchIndex: null, retryOfRunId: member.id,
      executionConfig: failedMember.executionConfig,
    });
    expect(res.body.run.executionConfig).toMatchObject({ seed: 11, weights: { vis: 0.9 } });
    expect(res.body.workflowId).toBe(`run-${res.body.run.id}`);
    expect(await api.waitForRun(res.body.run.id)).toMatchObject({ status: 'completed', batchId: null });
  });

  it('retries an upscale as an upscale of the same source run, and refuses while the source is not completed', async () => {
    const failedUpscale = await seedRun(api.h.db, explodingPromptId, {
      modelType: 'upscale', status: 'failed', parentRunId: retriedRunId, gpuHost: api.h.hostName, executionConfig: { control_weight: 0.7, num_steps: 10 },
    });
    const res = await api.call('POST', `/runs/${failedUpscale.id}/retry`);
    expect(res.status).toBe(201);
    expect(res.body.run).toMatchObject({
      modelType: 'upscale', parentRunId: retriedRunId, retryOfRunId: failedUpscale.id, executionConfig: { control_weight: 0.7, num_steps: 10 },
    });
    const done = await api.waitForRun(res.body.run.id);
    expect(done.status).toBe('completed');
    expect(done.outputs?.files.map((f) => f.name)).toContain('output_4k.mp4');

    const before = await countRows(api.h.db);
    const orphan = await seedRun(api.h.db, explodingPromptId, { modelType: 'upscale', status: 'failed', parentRunId: failedRunId, gpuHost: api.h.hostName });
    const refused = await api.call('POST', `/runs/${orphan.id}/retry`);
    expect(refused).toMatchObject({ status: 400, body: { error: { code: 'invalid_request', message: expect.stringContaining(`its source run ${failedRunId} is failed, not completed`) } } });
    expect((await countRows(api.h.db)).runs).toBe(before.runs + 1);
  });

  it('refuses to retry a completed, running or pending run with 400 and creates no run', async () => {
    const running = await seedRun(api.h.db, calmPromptId, { status: 'running', gpuHost: api.h.hostName });
    const pending = await seedRun(api.h.db, calmPromptId, { status: 'pending', gpuHost: api.h.hostName });
    const before = await countRows(api.h.db);
    const completed = await api.call('POST', `/runs/${retriedRunId}/retry`);
    expect(completed).toMatchObject({
      status: 400, body: { error: { code: 'invalid_request', message: `run ${retriedRunId} is completed; only a failed or cancelled run can be retried` } },
    });
    for (const id of [running.id, pending.id]) {
      const res = await api.call('POST', `/runs/${id}/retry`);
      expect(res).toMatchObject({ status: 400, body: { error: { message: expect.stringMatching(/is (running|pending); only a failed or cancelled run can be retried/) } } });
    }
    expect(await countRows(api.h.db)).toEqual(before);
  });

  it('answers 404 for an unknown or malformed id and 400 for an unknown host or field, creating nothing', async () => {
    const before = await countRows(api.h.db);
    expect(await api.call('POST', `/runs/${unknownRun}/retry`)).toMatchObject({ status: 404, body: { error: { code: 'not_found', message: `run ${unknownRun} does not exist` } } });
    expect(await api.call('POST', '/runs/not-an-id/retry')).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    const badHost = await api.call('POST', `/runs/${failedRunId}/retry`, { body: { host: 'nope' } });
    expect(badHost).toMatchObject({ status: 400, body: { error: { message: expect.stringContaining('GPU host "nope" is not configured') } } });
    const badField = await api.call('POST', `/runs/${failedRunId}/retry`, { body: { seed: 3 } });
    expect(badField).toMatchObject({ status: 400, body: { error: { code: 'invalid_request' } } });
    expect(await countRows(api.h.db)).toEqual(before);
  });

  it('describes the route in the OpenAPI document', async () => {
    const openapi = await api.call('GET', '/openapi.json', { auth: false });
    const retry = openapi.body.paths['/runs/{id}/retry'].post;
    expect(Object.keys(retry.responses)).toEqual(expect.arrayContaining(['201', '400', '404']));
    expect(retry.requestBody.content['application/json'].schema.properties).toHaveProperty('host');
  });
});
