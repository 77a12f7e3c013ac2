import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBatch, startBatch, startEnhance, startInference, startUpscale, waitForRun, workflowIdForBatch } from '../../src/client/runs.js';
import { createPrompt } from '../../src/core/create-prompt.js';
import { hashFile } from '../../src/core/file-hash.js';
import { findPrompt } from '../../src/db/queries/prompts.js';
import { findRun } from '../../src/db/queries/runs.js';
import type { Run } from '../../src/db/schema.js';
import { readStartRecord, setFaults } from '../../simulator/install.js';
import { createPipelineHarness, demoInputs, type PipelineHarness } from '../helpers/pipeline-harness.js';

describe('pipelines over SSH against the simulated GPU host', () => {
  let h: PipelineHarness;
  const deps = () => ({ db: h.db, temporal: h.temporal, config: h.config });
  const newPrompt = (text: string) => createPrompt(h.db, { text, videoDir: demoInputs }, { negativePrompt: 'blurry' }).then((r) => r.prompt);
  const containersOf = async (key: string) => (await readStartRecord(h.simHome)).filter((r) => r.name.includes(key));
  const runsOfWorkflow = async (run: Run) => (await h.db.query.runs.findMany({ where: (r, { eq }) => eq(r.workflowId, run.workflowId!) }));

  async function expectVerified(run: Run) {
    expect(run.status).toBe('completed');
    for (const file of run.outputs!.files) expect(await hashFile(file.path)).toEqual({ sha256: file.sha256, bytes: file.bytes });
  }

  beforeAll(async () => {
    h = await createPipelineHarness({ transport: 'ssh' });
    await h.startWorker();
  });
  afterAll(() => h?.close());

  it('reads well in the Web UI: a summary naming the prompt, activity summaries, and the stage with its percent', async () => {
    // Slow enough (×5) that a query lands while it generates, even on a loaded machine.
    await setFaults(h.simHome, [{ promptContains: 'a windmill in the rain', mode: 'slow' }]);
    const prompt = await newPrompt('a windmill in the rain');
    const { run, workflowId } = await startInference(deps(), { promptId: prompt.id });
    const handle = h.temporal.workflow.getHandle(workflowId);
    const details: string[] = [];
    while ((await findRun(h.db, run.id))?.status !== 'completed') {
      const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata').catch(() => ({ currentDetails: '' }));
      if (metadata.currentDetails) details.push(metadata.currentDetails);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await setFaults(h.simHome, []);
    expect(details.some((d) => /\*\*generating\*\* \d+% · run `rs_/.test(d))).toBe(true);
    expect(await (await handle.describe()).staticSummary()).toBe(`transfer · "${prompt.name}" (${prompt.id}) on any host that serves it`);
    const history = await handle.fetchHistory();
    const summaries = history.events!.filter((e) => e.activityTaskScheduledEventAttributes).map((e) => e.userMetadata?.summary?.data);
    const decoded = summaries.filter(Boolean).map((data) => JSON.parse(Buffer.from(data!).toString('utf8')) as string);
    expect(decoded).toEqual(expect.arrayContaining([`upload inputs of ${run.id} to ${h.hostName}`, `transfer container for ${run.id} on ${h.hostName}`]));
  });

  it('enhance creates <name>_enhanced with the upsampled text, linked to its parent, and records both ids', async () => {
    const prompt = await newPrompt('a red kite over green hills');
    const done = await waitForRun(deps(), (await startEnhance(deps(), { promptId: prompt.id })).run.id);
    await expectVerified(done);
    expect(done.promptId).toBe(prompt.id);
    const enhanced = await findPrompt(h.db, (done.outputs!.result as { promptId?: string } | undefined)?.promptId!);
    expect(enhanced).toMatchObject({ name: `${prompt.name}_enhanced`, parentPromptId: prompt.id, inputs: prompt.inputs });
    expect(enhanced!.promptText).toBe((done.outputs!.result as { text: string }).text);
    expect(enhanced!.promptText.startsWith('a red kite over green hills')).toBe(true);
    expect(enhanced!.promptText.length).toBeGreaterThan(prompt.promptText.length);
    expect(await containersOf(done.id)).toHaveLength(1);
  });

  it('upscale turns a completed transfer run into output_4k.mp4 at 3× the bucket, linked to its source', async () => {
    const source = await waitForRun(deps(), (await startInference(deps(), { promptId: (await newPrompt('a tram at night')).id })).run.id);
    const done = await waitForRun(deps(), (await startUpscale(deps(), { runId: source.id, weight: 0.7 })).run.id);
    await expectVerified(done);
    expect(done).toMatchObject({ modelType: 'upscale', parentRunId: source.id, executionConfig: { control_weight: 0.7, num_steps: 10 } });
    expect(done.outputs!.files.map((f) => f.name)).toContain('output_4k.mp4');
    expect(done.outputs!.result).toMatchObject({ kind: 'video',  width: 3840, height: 2112, frames: 121 });
    const spec = JSON.parse(readFileSync(`${done.outputs!.runDir}/spec.json`, 'utf8')) as Record<string, unknown>;
    expect(spec).toEqual({ input_video_path: `cosmos-jobs/${done.id}/inputs/input.mp4`, upscale: { control_weight: 0.7 } });
    await expect(startUpscale(deps(), { runId: done.id })).rejects.toThrow(/only a completed transfer run can be upscaled/);
  });

  it('enhance → inference runs the inference on the enhanced prompt', async () => {
    const prompt = await newPrompt('a fox in the snow');
    const { run } = await startInference(deps(), { promptId: prompt.id, enhance: true, params: { seed: 3 } });
    await h.temporal.workflow.getHandle(run.workflowId!).result();
    const [enhanceRun, inferenceRun] = (await runsOfWorkflow(run)).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    await expectVerified(enhanceRun!);
    await expectVerified(inferenceRun!);
    expect(inferenceRun).toMatchObject({ modelType: 'transfer', promptId: (enhanceRun!.outputs!.result as { promptId?: string } | undefined)?.promptId!, executionConfig: { seed: 3 } });
    expect(readFileSync(`${inferenceRun!.outputs!.runDir}/output.txt`, 'utf8')).toBe((enhanceRun!.outputs!.result as { text: string }).text);
  });

  it('inference → upscale upscales the new output and links the runs', async () => {
    const { run } = await startInference(deps(), { promptId: (await newPrompt('a lighthouse at dusk')).id, upscale: { weight: 0.4 } });
    await h.temporal.workflow.getHandle(run.workflowId!).result();
    const runs = await runsOfWorkflow(run);
    const upscaled = runs.find((r) => r.modelType === 'upscale')!;
    await expectVerified((await findRun(h.db, run.id))!);
    await expectVerified(upscaled);
    expect(upscaled).toMatchObject({ parentRunId: run.id, executionConfig: { control_weight: 0.4 } });
  });

  it('a failed first step fails the pipeline with its reason and never starts the second', async () => {
    await setFaults(h.simHome, [{ promptContains: 'enhance will crash', mode: 'exit1' }]);
    const { run } = await startInference(deps(), { promptId: (await newPrompt('enhance will crash here')).id, enhance: true });
    await expect(h.temporal.workflow.getHandle(run.workflowId!).result()).rejects.toThrow();
    const runs = await runsOfWorkflow(run);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'failed', failureKind: 'container_failed', modelType: 'enhance' });
    await setFaults(h.simHome, []);
  });

  it('a batch runs every prompt in one container with its own weights, outputs and status', async () => {
    const prompts = [await newPrompt('batch one: a canal'), await newPrompt('batch two: a bridge'), await newPrompt('batch three: a tower')];
    const { batch, runs } = await startBatch(deps(), {
      promptIds: prompts.map((p) => p.id), weights: { [prompts[1]!.id]: { vis: 0.7, seg: 0 } },
    });
    await h.temporal.workflow.getHandle(workflowIdForBatch(batch.id)).result();
    const after = await getBatch(deps(), batch.id);
    expect(after.batch.status).toBe('completed');
    for (const [i, run] of after.runs.entries()) {
      await expectVerified(run);
      expect(run).toMatchObject({ batchId: batch.id, batchIndex: i });
      expect(readFileSync(`${run.outputs!.runDir}/output.txt`, 'utf8')).toBe(prompts[i]!.promptText);
    }
    expect(after.runs[1]!.executionConfig).toMatchObject({ weights: { vis: 0.7, seg: 0, edge: 0.25 } });
    expect(await containersOf(batch.id)).toHaveLength(1);
    expect(runs.map((r) => r.id)).toEqual(after.runs.map((r) => r.id));
  });

  it('a guardrail block at item 2 of 4 keeps the others and runs the rest in a second container', async () => {
    const texts = ['gb one: a meadow', 'gb two: GUARDRAIL_BLOCKED_WORD', 'gb three: a harbour', 'gb four: a desert'];
    const prompts = [];
    for (const text of texts) prompts.push(await newPrompt(text));
    const { batch } = await startBatch(deps(), { promptIds: prompts.map((p) => p.id) });
    await h.temporal.workflow.getHandle(workflowIdForBatch(batch.id)).result();
    const { batch: settled, runs } = await getBatch(deps(), batch.id);
    expect(runs.map((r) => r.status)).toEqual(['completed', 'failed', 'completed', 'completed']);
    expect(runs[1]).toMatchObject({ failureKind: 'guardrail_blocked' });
    for (const run of [runs[0]!, runs[2]!, runs[3]!]) await expectVerified(run);
    expect(readFileSync(`${runs[3]!.outputs!.runDir}/output.txt`, 'utf8')).toBe(texts[3]);
    expect(await containersOf(batch.id)).toHaveLength(2);
    expect(settled.status).toBe('failed');
  });
});
