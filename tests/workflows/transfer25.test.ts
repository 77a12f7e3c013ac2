import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cancelWork, getBatch, startBatch, startRun, waitForRun, workflowIdForBatch } from '../../src/client/runs.js';
import { createPrompt } from '../../src/core/create-prompt.js';
import { hashFile } from '../../src/core/file-hash.js';
import { findRun } from '../../src/db/queries/runs.js';
import type { Run } from '../../src/db/schema.js';
import { listSimContainers, readStartRecord, setFaults } from '../../simulator/install.js';
import { createPipelineHarness, makeUniqueInputs, type PipelineHarness } from '../helpers/pipeline-harness.js';
import { killHard, waitUntil } from '../helpers/worker-process.js';

/** The same scenarios as Transfer1, through the same generic path, on a host that serves both model types. */
describe('Cosmos-Transfer2.5 over SSH against the simulated GPU host', () => {
  let h: PipelineHarness;
  const deps = () => ({ db: h.db, temporal: h.temporal, config: h.config });
  const newPrompt = async (text: string) => (await createPrompt(h.db, { text, videoDir: await makeUniqueInputs(h.dir) }, { negativePrompt: 'blurry' })).prompt;
  const startsOf = async (key: string) => (await readStartRecord(h.simHome)).filter((r) => r.name.includes(key));

  async function expectVerified(run: Run) {
    expect(run.status, `${run.failureKind}: ${run.errorMessage}`).toBe('completed');
    for (const file of run.outputs!.files) expect(await hashFile(file.path)).toEqual({ sha256: file.sha256, bytes: file.bytes });
  }

  beforeAll(async () => {
    h = await createPipelineHarness({ transport: 'ssh', sim: { timeScale: 0.004 }, host: { models: { transfer: {}, 'transfer2.5': { image: 'cosmos-transfer2.5:test' } } } });
    await h.startWorker();
  });
  afterAll(() => h?.close());

  it('runs one sample: the video at the input size, its control video, its spec, and progress from its steps', async () => {
    const prompt = await newPrompt('a lighthouse in a storm, seen from the sea');
    const { run } = await startRun(deps(), { modelType: 'transfer2.5', promptId: prompt.id, params: { weights: { edge: 0.8 }, num_steps: 6 } });
    const done = await waitForRun(deps(), run.id);
    await expectVerified(done);
    expect(done.outputs!.result).toMatchObject({ kind: 'video', file: 'output.mp4', width: prompt.inputs.video.width, height: prompt.inputs.video.height, frames: prompt.inputs.video.frames, fps: Math.trunc(prompt.inputs.video.fps) });
    const roles = Object.fromEntries(done.outputs!.files.map((f) => [f.name, f.role]));
    expect(roles).toMatchObject({ 'output.mp4': 'video', 'control_edge.mp4': 'control', 'spec.json': 'spec', 'run.log': 'log' });
    const spec = JSON.parse(readFileSync(`${done.outputs!.runDir}/spec.json`, 'utf8')) as Record<string, unknown>;
    expect(spec).toMatchObject({ name: run.id, guidance: 3, num_steps: 6, edge: { control_weight: 0.8 } });
    expect(spec).not.toHaveProperty('vis');
    expect(await startsOf(run.id)).toHaveLength(1);
    expect((await startsOf(run.id))[0]!.name).toBe(`cosmos-transfer2.5-${run.id}`);
  });

  it('runs a batch in one container; a guardrail-blocked sample fails as guardrail_blocked and the others complete', async () => {
    const prompts = [await newPrompt('batch25 one: a red tram'), await newPrompt('batch25 two: GUARDRAIL_BLOCKED_WORD'), await newPrompt('batch25 three: a blue tram')];
    const { batch } = await startBatch(deps(), { modelType: 'transfer2.5', promptIds: prompts.map((p) => p.id), params: { num_steps: 4 } });
    await h.temporal.workflow.getHandle(workflowIdForBatch(batch.id)).result();
    const { batch: settled, runs } = await getBatch(deps(), batch.id);
    await expectVerified(runs[0]!);
    expect(runs[1]).toMatchObject({ status: 'failed', failureKind: 'guardrail_blocked' });
    expect(runs[1]!.errorMessage).toMatch(/Guardrail blocked generation/);
    await expectVerified(runs[2]!);
    expect(settled.status).toBe('failed');
    // Real Transfer2.5 skips a blocked sample and goes on, so the batch needs one container, not one per segment.
    expect(await startsOf(batch.id)).toHaveLength(1);
  });

  it('cancels a run while it generates: the container is stopped and the run is cancelled', async () => {
    await setFaults(h.simHome, [{ promptContains: 'cancel me', mode: 'slow' }]);
    const prompt = await newPrompt('cancel me: a slow glacier');
    const { run } = await startRun(deps(), { modelType: 'transfer2.5', promptId: prompt.id });
    await waitUntil(async () => (await findRun(h.db, run.id))?.stage === 'generating', 'generating');
    await cancelWork(deps(), run.id);
    const done = await waitForRun(deps(), run.id);
    expect(done).toMatchObject({ status: 'cancelled', failureKind: 'cancelled' });
    const container = (await listSimContainers(h.simHome)).find((c) => c.name === `cosmos-transfer2.5-${run.id}`);
    expect(container?.status).not.toBe('running');
    await setFaults(h.simHome, []);
  });
});

describe('Cosmos-Transfer2.5 when the worker is killed during generation', () => {
  let h: PipelineHarness | undefined;
  afterAll(() => h?.close());

  it('re-attaches to the running container: one start, the run completes', async () => {
    h = await createPipelineHarness({ transport: 'ssh', sim: { timeScale: 0.01 }, host: { models: { 'transfer2.5': {} } } });
    const worker = h.spawnWorker();
    const prompt = (await createPrompt(h.db, { text: 'crash during a Transfer2.5 sample', videoDir: await makeUniqueInputs(h.dir) }, { negativePrompt: 'n' })).prompt;
    const { run } = await startRun({ db: h.db, temporal: h.temporal, config: h.config }, { modelType: 'transfer2.5', promptId: prompt.id });
    await waitUntil(async () => (await findRun(h!.db, run.id))?.stage === 'generating', 'generating');
    await killHard(worker);
    h.spawnWorker();
    await h.temporal.workflow.getHandle(run.workflowId!).result();
    const done = (await findRun(h.db, run.id))!;
    expect(done.status, `${done.failureKind}: ${done.errorMessage}`).toBe('completed');
    expect((await readStartRecord(h.simHome)).filter((r) => r.name.includes(run.id))).toHaveLength(1);
  });
});

describe('Cosmos-Transfer2.5 on two GPUs per job when a prompt is blocked', () => {
  let h: PipelineHarness | undefined;
  afterAll(() => h?.close());

  it('stops the stuck container soon after the block instead of at the hang timeout, and runs the rest in a new one', async () => {
    h = await createPipelineHarness({
      transport: 'ssh', sim: { gpus: 2, timeScale: 0.004 }, temporal: { hang_timeout: '60s' },
      host: { gpus: [0, 1], gpus_per_job: 2, models: { 'transfer2.5': {} } },
    });
    await h.startWorker();
    const deps = { db: h.db, temporal: h.temporal, config: h.config };
    const prompts = [];
    for (const text of ['two ranks: GUARDRAIL_BLOCKED_WORD', 'two ranks: a quiet pier']) {
      prompts.push((await createPrompt(h.db, { text, videoDir: await makeUniqueInputs(h.dir) }, { negativePrompt: 'n' })).prompt);
    }
    const { batch } = await startBatch(deps, { modelType: 'transfer2.5', promptIds: prompts.map((p) => p.id), params: { num_steps: 4 } });
    await h.temporal.workflow.getHandle(workflowIdForBatch(batch.id)).result();
    const { runs } = await getBatch(deps, batch.id);
    expect(runs[0]).toMatchObject({ status: 'failed', failureKind: 'guardrail_blocked' });
    expect(runs[1]!.status, `${runs[1]!.failureKind}: ${runs[1]!.errorMessage}`).toBe('completed');
    expect((await readStartRecord(h.simHome)).filter((r) => r.name.includes(batch.id))).toHaveLength(2);
    // The stuck container was stopped well before the 60 s hang timeout would have killed it.
    const first = (await listSimContainers(h.simHome)).find((c) => c.name === `cosmos-transfer2.5-${batch.id}-1`)!;
    expect(Date.parse(first.finishedAt) - Date.parse(first.startedAt)).toBeLessThan(60_000);
    expect(runs[0]!.errorMessage).toMatch(/Guardrail blocked generation/);
  });
});
