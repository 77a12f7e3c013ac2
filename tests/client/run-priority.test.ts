import { inArray } from 'drizzle-orm';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActivityDeps } from '../../src/activities/deps.js';
import { createRunRecordActivities } from '../../src/activities/run-records.js';
import { createApi } from '../../src/client/api/create-api.js';
import { newRunId } from '../../src/db/ids.js';
import { enqueueGpuJob } from '../../src/db/queries/gpu-queue.js';
import { findRun } from '../../src/db/queries/runs.js';
import { runs } from '../../src/db/schema.js';
import { countRows } from '../helpers/migrated-db.js';
import { createPipelineHarness, demoInputs, type PipelineHarness } from '../helpers/pipeline-harness.js';
import { parseJson, runCosmos } from '../helpers/run-cosmos.js';
import { seedRun } from '../helpers/seed-records.js';

const TOKEN = 'test-token-0123456789abcdef';

/** No worker: the runs stay pending, which is all a test of what the start writes needs. */
describe('a run\'s priority from the CLI and the API', () => {
  let h: PipelineHarness;
  let app: Hono;
  let promptId: string;
  let otherPromptId: string;
  const cosmos = (...args: string[]) => runCosmos(h.configPath, args);
  const priorityOf = async (runId: string) => (await findRun(h.db, runId))?.priority;
  const call = async (method: string, path: string, body: unknown) => {
    const response = await app.request(path, {
      method, headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() as any };
  };

  beforeAll(async () => {
    h = await createPipelineHarness({ transport: 'local' });
    app = createApi({ db: h.db, temporal: h.temporal, config: { ...h.config, api: { ...h.config.api, token: TOKEN } } });
    promptId = parseJson<{ prompt: { id: string } }>(await cosmos('create', 'prompt', 'a lighthouse in the rain', demoInputs, '--json')).prompt.id;
    otherPromptId = parseJson<{ prompt: { id: string } }>(await cosmos('create', 'prompt', 'a tram at night', demoInputs, '--json')).prompt.id;
  });
  afterAll(async () => {
    const started = await h.db.selectDistinct({ workflowId: runs.workflowId }).from(runs);
    for (const { workflowId } of started) if (workflowId) await h.temporal.workflow.getHandle(workflowId).terminate('test done').catch(() => undefined);
    await h?.close();
  });

  it('every command that starts runs writes --priority to runs.priority, and the GPU queue takes a job\'s highest', async () => {
    const run = parseJson<{ run: { id: string } }>(await cosmos('run', 'transfer', promptId, '--priority', '5', '--json')).run;
    expect(await priorityOf(run.id)).toBe(5);
    const inference = parseJson<{ run: { id: string } }>(await cosmos('inference', promptId, '--priority', '-3', '--json')).run;
    expect(await priorityOf(inference.id)).toBe(-3);
    const enhance = parseJson<{ run: { id: string } }>(await cosmos('enhance', promptId, '--priority', '100', '--json')).run;
    expect(await priorityOf(enhance.id)).toBe(100);
    const source = await seedRun(h.db, promptId, { status: 'completed', outputs: { runDir: '/nonexistent', files: [] } });
    const upscale = parseJson<{ run: { id: string } }>(await cosmos('upscale', source.id, '--priority', '8', '--json')).run;
    expect(await priorityOf(upscale.id)).toBe(8);
    expect((await findRun(h.db, (parseJson<{ run: { id: string } }>(await cosmos('inference', promptId, '--json'))).run.id))?.priority).toBe(0);

    const batch = parseJson<{ runs: { id: string }[] }>(await cosmos('inference', promptId, otherPromptId, '--priority', '7', '--json'));
    const rows = await h.db.select().from(runs).where(inArray(runs.id, batch.runs.map((r) => r.id)));
    expect(rows.map((r) => r.priority)).toEqual([7, 7]);
    const modelBatch = parseJson<{ runs: { id: string }[] }>(await cosmos('run', 'transfer', promptId, otherPromptId, '--priority', '-1', '--json'));
    expect(await priorityOf(modelBatch.runs[0]!.id)).toBe(-1);

    const job = await enqueueGpuJob(h.db, { jobKey: 'job-priority', modelType: 'transfer', runIds: [inference.id, run.id], candidates: [{ host: h.hostName, gpus: 1 }] });
    expect(job.priority).toBe(5);
  });

  it('a later step of a pipeline (the transfer after an enhance) gets the priority the pipeline was started with', async () => {
    const first = await seedRun(h.db, promptId, { modelType: 'enhance', priority: 11, workflowId: 'run-pipeline-priority' });
    const next = newRunId();
    await createRunRecordActivities({ db: h.db } as ActivityDeps).createFollowUpRun({
      id: next, promptId, modelType: 'transfer', executionConfig: {}, workflowId: first.workflowId!,
    });
    expect(await priorityOf(next)).toBe(11);
  });

  it('a retry keeps the old run\'s priority unless --priority gives another', async () => {
    const failed = await seedRun(h.db, promptId, { status: 'failed', priority: 9 });
    const kept = parseJson<{ run: { id: string } }>(await cosmos('retry', failed.id, '--json')).run;
    expect(await priorityOf(kept.id)).toBe(9);
    const changed = parseJson<{ run: { id: string } }>(await cosmos('retry', failed.id, '--priority', '-20', '--json')).run;
    expect(await priorityOf(changed.id)).toBe(-20);
  });

  it('refuses a priority out of range or not a whole number, and writes nothing', async () => {
    const before = await countRows(h.db);
    expect(await cosmos('inference', promptId, '--priority', '101')).toMatchObject({ code: 1, stderr: 'cosmos: priority: a whole number from -100 to 100\n' });
    expect(await cosmos('run', 'transfer', promptId, '--priority', '-101')).toMatchObject({ code: 1, stderr: expect.stringContaining('priority: a whole number from -100 to 100') });
    expect(await cosmos('inference', promptId, otherPromptId, '--priority', '200')).toMatchObject({ code: 1 });
    expect(await cosmos('enhance', promptId, '--priority', '1.5')).toMatchObject({ code: 2, stderr: expect.stringContaining('--priority expects a whole number') });
    expect(await cosmos('retry', promptId, '--priority', 'high')).toMatchObject({ code: 2 });
    expect(await countRows(h.db)).toEqual(before);
  });

  it('shows --priority in the help of each command that starts runs', async () => {
    for (const command of [['run', 'transfer'], ['inference'], ['enhance'], ['upscale'], ['retry']]) {
      expect((await cosmos(...command, '--help')).stdout).toMatch(/--priority V\s+higher goes first in the GPU queue.*\[-100\.\.100\]/);
    }
  });

  it('POST /runs (both bodies), /batches, enhance, upscale and retry take priority; bad values are 400 and write nothing', async () => {
    const model = await call('POST', '/runs', { modelType: 'transfer', promptId, priority: 4 });
    expect(model.status).toBe(201);
    expect(await priorityOf(model.body.run.id)).toBe(4);
    const legacy = await call('POST', '/runs', { promptId, priority: -2, enhance: true });
    expect(await priorityOf(legacy.body.run.id)).toBe(-2);
    const batch = await call('POST', '/batches', { promptIds: [promptId, otherPromptId], priority: 3 });
    expect(batch.status).toBe(201);
    expect(await priorityOf(batch.body.runs[1].id)).toBe(3);
    const enhance = await call('POST', `/prompts/${promptId}/enhance`, { priority: 1 });
    expect(await priorityOf(enhance.body.run.id)).toBe(1);
    const source = await seedRun(h.db, promptId, { status: 'completed', outputs: { runDir: '/nonexistent', files: [] } });
    const upscale = await call('POST', `/runs/${source.id}/upscale`, { priority: 60 });
    expect(await priorityOf(upscale.body.run.id)).toBe(60);
    const failed = await seedRun(h.db, promptId, { status: 'failed', priority: 12 });
    expect(await priorityOf((await call('POST', `/runs/${failed.id}/retry`, {})).body.run.id)).toBe(12);
    expect(await priorityOf((await call('POST', `/runs/${failed.id}/retry`, { priority: 13 })).body.run.id)).toBe(13);

    const before = await countRows(h.db);
    for (const [path, body] of [
      ['/runs', { modelType: 'transfer', promptId, priority: 101 }], ['/runs', { promptId, priority: 2.5 }],
      ['/runs', { promptId, priority: '5' }], ['/batches', { promptIds: [promptId], priority: -101 }],
      [`/prompts/${promptId}/enhance`, { priority: null }], [`/runs/${failed.id}/retry`, { priority: 1000 }],
    ] as const) {
      expect(await call('POST', path, body)).toMatchObject({ status: 400, body: { error: { fields: { priority: 'a whole number from -100 to 100' } } } });
    }
    expect(await countRows(h.db)).toEqual(before);
  });

  it('the OpenAPI document describes priority on the bodies that start runs', async () => {
    const doc = await (await app.request('/openapi.json')).json() as any;
    const bodies = doc.paths['/runs'].post.requestBody.content['application/json'].schema.oneOf;
    for (const body of bodies) expect(body.properties.priority).toMatchObject({ type: 'integer', minimum: -100, maximum: 100 });
    expect(doc.paths['/runs/{id}/retry'].post.requestBody.content['application/json'].schema.properties.priority).toBeDefined();
  });
});
