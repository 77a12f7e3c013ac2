import { afterEach, describe, expect, it } from 'vitest';
import { getBatch, startBatch, startInference, workflowIdForBatch } from '../../src/client/runs.js';
import { createPrompt } from '../../src/core/create-prompt.js';
import { hashFile } from '../../src/core/file-hash.js';
import { listBatchRuns } from '../../src/db/queries/batches.js';
import type { Run } from '../../src/db/schema.js';
import { readStartRecord } from '../../simulator/install.js';
import { createPipelineHarness, demoInputs, type PipelineHarness } from '../helpers/pipeline-harness.js';
import { killHard, waitUntil } from '../helpers/worker-process.js';

describe('a worker killed in the middle of a multi-step pipeline', () => {
  let h: PipelineHarness | undefined;
  afterEach(() => h?.close());
  const newPrompt = async (text: string) => (await createPrompt(h!.db, { text, videoDir: demoInputs }, { negativePrompt: 'n' })).prompt;
  const deps = () => ({ db: h!.db, temporal: h!.temporal, config: h!.config });

  async function expectVerified(run: Run) {
    expect(run.status).toBe('completed');
    for (const file of run.outputs!.files) expect(await hashFile(file.path)).toEqual({ sha256: file.sha256, bytes: file.bytes });
  }

  it('during the upscale step of inference → upscale: both runs complete with one container each', async () => {
    h = await createPipelineHarness({ transport: 'ssh', sim: { timeScale: 0.01 } });
    const worker = h.spawnWorker();
    const { run } = await startInference(deps(), { promptId: (await newPrompt('crash in the second step')).id, upscale: {} });
    const upscaleRun = async () => (await h!.db.query.runs.findMany({ where: (r, { eq }) => eq(r.parentRunId, run.id) }))[0];
    await waitUntil(async () => (await upscaleRun())?.stage === 'generating', 'the upscale run generating');
    await killHard(worker);
    h.spawnWorker();
    await h.temporal.workflow.getHandle(run.workflowId!).result();

    const upscaled = (await upscaleRun())!;
    await expectVerified(upscaled);
    await expectVerified((await h.db.query.runs.findFirst({ where: (r, { eq }) => eq(r.id, run.id) }))!);
    const starts = await readStartRecord(h.simHome);
    expect(starts.filter((s) => s.name.includes(run.id))).toHaveLength(1);
    expect(starts.filter((s) => s.name.includes(upscaled.id))).toHaveLength(1);
  });

  it('during item 2 of a 4-item batch: every item completes from the one batch container', async () => {
    h = await createPipelineHarness({ transport: 'ssh', sim: { timeScale: 0.01 } });
    const worker = h.spawnWorker();
    const prompts = [];
    for (const text of ['crash batch: one', 'crash batch: two', 'crash batch: three', 'crash batch: four']) prompts.push(await newPrompt(text));
    const { batch } = await startBatch(deps(), { promptIds: prompts.map((p) => p.id) });
    await waitUntil(async () => {
      const runs = await listBatchRuns(h!.db, batch.id);
      return runs[0]!.progress >= 0.9 && runs[1]!.stage === 'generating';
    }, 'item 2 generating');
    await killHard(worker);
    h.spawnWorker();
    await h.temporal.workflow.getHandle(workflowIdForBatch(batch.id)).result();

    const { batch: settled, runs } = await getBatch(deps(), batch.id);
    expect(settled.status).toBe('completed');
    for (const run of runs) await expectVerified(run);
    expect((await readStartRecord(h.simHome)).filter((s) => s.name.includes(batch.id))).toHaveLength(1);
  });
});
