import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listRuns } from '../../src/db/queries/listings.js';
import { findRun } from '../../src/db/queries/runs.js';
import type { Run } from '../../src/db/schema.js';
import { createPipelineHarness, demoInputs, type PipelineHarness } from '../helpers/pipeline-harness.js';
import { parseJson, runCosmos, spawnCosmos, type CosmosResult } from '../helpers/run-cosmos.js';

interface WaitJson { run: Run; runs: Run[]; workflowId: string }

describe('cosmos inference/enhance/upscale/cancel/logs (built executable, real stack)', () => {
  let h: PipelineHarness;
  let promptId: string;
  let otherPromptId: string;
  const cosmos = (...args: string[]): Promise<CosmosResult> => runCosmos(h.configPath, args);

  /** The simulator reads sim.json at every container start, so this slows down the next job only. */
  async function setTimeScale(timeScale: number): Promise<void> {
    const path = join(h.simHome, 'sim.json');
    await writeFile(path, JSON.stringify({ ...JSON.parse(await readFile(path, 'utf8')), timeScale }));
  }

  async function waitForStatus(runId: string, accept: (run: Run) => boolean): Promise<Run> {
    for (let i = 0; i < 600; i++) {
      const run = await findRun(h.db, runId);
      if (run && accept(run)) return run;
      await sleep(100);
    }
    throw new Error(`run ${runId} never reached the expected state`);
  }

  beforeAll(async () => {
    h = await createPipelineHarness({ transport: 'local' });
    await h.startWorker();
    promptId = parseJson<{ prompt: { id: string } }>(await cosmos('create', 'prompt', 'a tram crossing a snowy square', demoInputs, '--json')).prompt.id;
    otherPromptId = parseJson<{ prompt: { id: string } }>(await cosmos('create', 'prompt', 'a ferry leaving port at dusk', demoInputs, '--json')).prompt.id;
  });
  afterAll(() => h?.close());

  it('prints the exact spec and docker command with --dry-run and starts nothing', async () => {
    const before = (await listRuns(h.db)).length;
    const human = await cosmos('inference', promptId, '--weights', '0.5', '0', '0.2', '0', '--steps', '12', '--dry-run');
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`dry run of ${promptId} on ${h.hostName} (nothing was started)`);
    expect(human.stdout).toContain('"prompt": "a tram crossing a snowy square"');
    expect(human.stdout).toMatch(/command:\n.*docker run -d --name '?cosmos-transfer-rs_/);
    const plan = parseJson<{ host: string; spec: Record<string, unknown>; command: string[] }>(await cosmos('inference', promptId, '--weights', '0.5', '0', '0.2', '0', '--steps', '12', '--dry-run', '--json'));
    expect(plan.spec).toMatchObject({ num_steps: 12, vis: { control_weight: 0.5 }, depth: { control_weight: 0.2 } });
    expect(plan.spec).not.toHaveProperty('edge');
    expect(plan.command).toEqual(expect.arrayContaining(['run', '-d', '--label']));
    expect((await listRuns(h.db)).length).toBe(before);
  });

  it('refuses bad inference input with what to fix, and starts nothing', async () => {
    const before = (await listRuns(h.db)).length;
    expect(await cosmos('inference', promptId, '--weights', '1.5', '0', '0', '0')).toMatchObject({ code: 1, stderr: 'cosmos: weights.vis: must be between 0 and 1\n' });
    expect(await cosmos('inference', promptId, '--weights', '0.1', '0.1')).toMatchObject({ code: 2, stderr: expect.stringContaining('--weights takes four numbers') });
    expect(await cosmos('inference', promptId, '--upscale-weight', '0.4')).toMatchObject({ code: 2, stderr: expect.stringContaining('--upscale-weight needs --upscale') });
    expect(await cosmos('inference', promptId, otherPromptId, '--enhance')).toMatchObject({ code: 2, stderr: expect.stringContaining('not on a batch') });
    expect(await cosmos('inference', `ps_${'0'.repeat(32)}`)).toMatchObject({ code: 1, stderr: expect.stringContaining('does not exist') });
    expect(await cosmos('inference')).toMatchObject({ code: 2, stderr: expect.stringContaining('expected at least one prompt id') });
    expect((await listRuns(h.db)).length).toBe(before);
  });

  it('runs inference then upscale with --upscale --wait, following the pipeline into its second run', async () => {
    const result = parseJson<WaitJson>(await cosmos('inference', promptId, '--upscale', '--upscale-weight', '0.6', '--wait', '--json'));
    expect(result.runs.map((r) => [r.modelType, r.status])).toEqual([['transfer', 'completed'], ['upscale', 'completed']]);
    expect(result.run).toMatchObject({ modelType: 'upscale', parentRunId: result.runs[0]!.id, executionConfig: expect.objectContaining({ control_weight: 0.6 }) });
  });

  it('starts a batch from several prompt ids and waits for all of its runs', async () => {
    const started = await cosmos('inference', promptId, otherPromptId, '--seed', '3', '--wait');
    expect(started.code).toBe(0);
    const batchId = /started batch (bt_\w+) with 2 runs/.exec(started.stdout)?.[1];
    expect(batchId).toBeDefined();
    expect(started.stdout).toMatch(/ {2}#0 rs_\w+ completed\n {2}#1 rs_\w+ completed/);
    const { runs } = parseJson<{ runs: Run[] }>(await cosmos('list', 'runs', '--batch', batchId!, '--json'));
    expect(runs.map((r) => r.promptId).sort()).toEqual([promptId, otherPromptId].sort());
    const shown = parseJson<{ batch: { id: string }; runs: Run[] }>(await cosmos('show', batchId!, '--json'));
    expect(shown.runs.map((r) => [r.batchIndex, r.status])).toEqual([[0, 'completed'], [1, 'completed']]);
    expect((await cosmos('show', batchId!)).stdout).toMatch(new RegExp(`^${batchId} batch of 2 `));
  });

  it('enhances a prompt and shows the enhanced prompt it made', async () => {
    const { run } = parseJson<WaitJson>(await cosmos('enhance', otherPromptId, '--wait', '--json'));
    expect(run).toMatchObject({ modelType: 'enhance', status: 'completed' });
    const shown = await cosmos('show', run.id);
    expect(shown.stdout).toContain(`enhanced prompt: ${(run.outputs!.result as { promptId?: string } | undefined)?.promptId!}`);
    expect((await cosmos('show', (run.outputs!.result as { promptId?: string } | undefined)?.promptId!)).stdout).toContain(`enhanced from ${otherPromptId}`);
    expect(await cosmos('enhance')).toMatchObject({ code: 2, stderr: expect.stringContaining('expected one prompt id') });
  });

  it('upscales a finished run and refuses a run that is not a completed transfer', async () => {
    const source = parseJson<WaitJson>(await cosmos('inference', promptId, '--seed', '9', '--wait', '--json')).run;
    const human = await cosmos('upscale', source.id, '--weight', '0.4', '--wait');
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/upscale completed/);
    expect(human.stdout).toMatch(/output: .*output_4k\.mp4|output: .*\.mp4/);
    const upscaled = (await listRuns(h.db, { modelType: 'upscale' })).find((r) => r.parentRunId === source.id);
    expect(upscaled?.status).toBe('completed');
    expect(await cosmos('upscale', upscaled!.id)).toMatchObject({ code: 1, stderr: expect.stringContaining('only a completed transfer run can be upscaled') });
    expect(await cosmos('upscale', source.id, '--weight', 'x')).toMatchObject({ code: 2, stderr: expect.stringContaining('--weight expects a number') });
  });

  it('prints a finished run\'s log, and follows a running job\'s log live until it ends', async () => {
    const finished = (await listRuns(h.db, { modelType: 'transfer', status: 'completed' }))[0]!;
    const log = await cosmos('logs', finished.id);
    expect(log.code).toBe(0);
    expect(log.stdout).toContain('[COSMOS_COMPLETE] exit_code=0');

    await setTimeScale(0.012);
    const { run } = parseJson<{ run: Run }>(await cosmos('inference', promptId, '--seed', '11', '--json'));
    const child = spawnCosmos(h.configPath, ['logs', run.id, '-f']);
    const chunks: { text: string; statusThen: string }[] = [];
    let pending = Promise.resolve();
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      pending = pending.then(async () => { chunks.push({ text, statusThen: (await findRun(h.db, run.id))!.status }); });
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    await pending;
    await setTimeScale(0.004);
    expect(code).toBe(0);
    const whileRunning = chunks.filter((c) => c.statusThen !== 'completed');
    expect(whileRunning.length).toBeGreaterThan(1);
    expect(whileRunning.map((c) => c.text).join('')).toContain('Starting diffusion sampling');
    expect(chunks.map((c) => c.text).join('').trimEnd()).toMatch(/\[COSMOS_COMPLETE\] exit_code=0$/);
    expect((await findRun(h.db, run.id))?.status).toBe('completed');
    expect(await cosmos('logs', 'rs_nope')).toMatchObject({ code: 1, stderr: expect.stringContaining('is not a run id') });
  });

  it('cancels a running job, then refuses to cancel it again', async () => {
    await setTimeScale(0.05);
    const { run } = parseJson<{ run: Run }>(await cosmos('inference', promptId, '--seed', '12', '--json'));
    await waitForStatus(run.id, (r) => r.stage === 'generating');
    const cancelled = parseJson<{ cancelled: string[] }>(await cosmos('cancel', run.id, '--json'));
    await setTimeScale(0.004);
    expect(cancelled).toEqual({ cancelled: [run.id] });
    expect(await waitForStatus(run.id, (r) => r.status !== 'running')).toMatchObject({ status: 'cancelled', failureKind: 'cancelled' });
    expect(await cosmos('cancel', run.id)).toMatchObject({ code: 1, stderr: `cosmos: run ${run.id} is already cancelled; there is nothing to cancel\n` });
    expect(await cosmos('cancel', 'ps_1')).toMatchObject({ code: 1, stderr: expect.stringContaining('neither a run id') });
    expect(await cosmos('cancel')).toMatchObject({ code: 2 });
  });

  it('leaves artifacts that cosmos verify accepts after every kind of pipeline', async () => {
    const report = await cosmos('verify', '--json');
    expect(JSON.parse(report.stdout)).toMatchObject({ problems: [] });
    expect(JSON.parse(report.stdout).runsChecked).toBeGreaterThan(6);
    expect(report.code).toBe(0);
  });
});
