import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listRuns } from '../../src/db/queries/listings.js';
import type { Run } from '../../src/db/schema.js';
import { demoInputs } from '../helpers/pipeline-harness.js';
import { parseJson, runCosmos } from '../helpers/run-cosmos.js';
import { createApiHarness, type ApiHarness } from './api-helpers.js';

interface WaitJson { run: Run; runs: Run[]; workflowId: string }

/** `cosmos run <model>` and `POST /runs {modelType}`: derived from the model registry, over SSH to the simulator. */
describe('starting any model type from the CLI and the API', () => {
  let api: ApiHarness;
  let promptId: string;
  const cosmos = (...args: string[]) => runCosmos(api.h.configPath, args);

  beforeAll(async () => {
    api = await createApiHarness({}, { transport: 'ssh', host: { models: { transfer: {}, enhance: {}, upscale: {}, 'transfer2.5': { image: 'cosmos-transfer2.5:test' } } } });
    promptId = parseJson<{ prompt: { id: string } }>(await cosmos('create', 'prompt', 'a harbour crane at dawn', demoInputs, '--json')).prompt.id;
  });
  afterAll(() => api?.close());

  it('cosmos run transfer2.5 <prompt> --wait runs it and shows its video', async () => {
    const result = await cosmos('run', 'transfer2.5', promptId, '--weights.edge', '0.7', '--num-steps', '5', '--wait', '--json');
    const { run } = parseJson<WaitJson>(result);
    expect(run).toMatchObject({ modelType: 'transfer2.5', status: 'completed', executionConfig: { num_steps: 5, weights: { edge: 0.7 } } });
    expect(run.outputs!.result).toMatchObject({ kind: 'video', file: 'output.mp4' });
    const shown = await cosmos('show', run.id);
    expect(shown.stdout).toMatch(/output: .*output\.mp4 \(\d+×\d+, \d+ frames at \d+ fps\)/);
  });

  it('derives its flags and help from the model: unknown flags, bad values and a model a host lacks are refused', async () => {
    const help = await cosmos('run', 'transfer2.5', '--help');
    expect(help.stdout).toMatch(/--guidance V\s+classifier-free guidance, a whole number 0\.\.7 \[0\.\.7\] \(default 3\)/);
    expect(help.stdout).toContain('--distilled');
    expect((await cosmos('run', '--help')).stdout).toMatch(/transfer2\.5\s+Cosmos-Transfer2\.5/);
    const before = (await listRuns(api.h.db)).length;
    expect(await cosmos('run', 'transfer2.5', promptId, '--guidance', '3.5')).toMatchObject({ code: 2, stderr: expect.stringContaining('--guidance expects a whole number') });
    expect(await cosmos('run', 'transfer2.5', promptId, '--guidance', '9')).toMatchObject({ code: 1, stderr: expect.stringContaining('guidance: must be between 0 and 7') });
    expect(await cosmos('run', 'transfer2.5', promptId, '--canny-threshold', 'low')).toMatchObject({ code: 2 });
    expect(await cosmos('run', 'transfer2.5', promptId, '--distilled', '--weights.vis', '0.5')).toMatchObject({ code: 1, stderr: expect.stringContaining('distilled') });
    expect(await cosmos('run', 'nope', promptId)).toMatchObject({ code: 1, stderr: expect.stringContaining('unknown model type "nope"') });
    expect((await listRuns(api.h.db)).length).toBe(before);
  });

  it('POST /runs {modelType, params} starts any model; the older transfer body still works', async () => {
    const started = await api.call('POST', '/runs', { body: { modelType: 'transfer2.5', promptId, params: { num_steps: 4, seed: 9 } } });
    expect(started.status).toBe(201);
    const done = await api.waitForRun(started.body.run.id);
    expect(done).toMatchObject({ modelType: 'transfer2.5', status: 'completed', executionConfig: { num_steps: 4, seed: 9, guidance: 3 } });
    const shown = await api.call('GET', `/runs/${done.id}`);
    expect(shown.body.files.map((f: { name: string }) => f.name)).toEqual(expect.arrayContaining(['output.mp4', 'control_edge.mp4', 'spec.json', 'run.log']));

    const bad = await api.call('POST', '/runs', { body: { modelType: 'transfer2.5', promptId, params: { guidance: 2.5 } } });
    expect(bad).toMatchObject({ status: 400, body: { error: { fields: { guidance: expect.stringContaining('whole number') } } } });
    expect((await api.call('POST', '/runs', { body: { modelType: 'transfer2.5', promptId, params: { fps: 30 } } })).status).toBe(400);
    expect((await api.call('POST', '/runs', { body: { modelType: 'upscale', promptId } })).body.error.message).toMatch(/give its run id/);

    const legacy = await api.call('POST', '/runs', { body: { promptId, params: { seed: 4, num_steps: 3 } } });
    expect(legacy.status).toBe(201);
    expect(await api.waitForRun(legacy.body.run.id)).toMatchObject({ modelType: 'transfer', status: 'completed' });
  });

  it('the OpenAPI document describes each model type\'s parameters', async () => {
    const doc = (await api.call('GET', '/openapi.json')).body;
    expect(doc.components.schemas['Params.transfer2.5'].properties.guidance).toMatchObject({ type: 'integer', minimum: 0, maximum: 7 });
    expect(doc.paths['/runs'].post.requestBody.content['application/json'].schema.oneOf).toHaveLength(2);
  });
});
