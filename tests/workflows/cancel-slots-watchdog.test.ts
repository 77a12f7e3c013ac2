import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { cancelWork, startInference, waitForRun } from '../../src/client/runs.js';
import { createPrompt } from '../../src/core/create-prompt.js';
import { InputError } from '../../src/core/input-error.js';
import { findRun } from '../../src/db/queries/runs.js';
import { runs, type Run } from '../../src/db/schema.js';
import { eq } from 'drizzle-orm';
import { CosmosStatus } from '../../src/workflows/search-attributes.js';
import { listSimContainers, setFaults } from '../../simulator/install.js';
import { createPipelineHarness, demoInputs, makeUniqueInputs, type HarnessOptions, type PipelineHarness } from '../helpers/pipeline-harness.js';

describe('cancel, GPU slots and the hang watchdog', () => {
  let h: PipelineHarness | undefined;
  afterEach(() => h?.close());
  const deps = () => ({ db: h!.db, temporal: h!.temporal, config: h!.config });
  const open = async (options: HarnessOptions) => {
    h = await createPipelineHarness(options);
    await h.startWorker();
    return h;
  };
  const newPrompt = async (text: string, videoDir = demoInputs) => (await createPrompt(h!.db, { text, videoDir }, { negativePrompt: 'n' })).prompt;
  const runningContainers = async () => {
    const all = await Promise.all(h!.hosts.map((host) => listSimContainers(host.simHome)));
    return all.flat().filter((c) => c.status === 'running');
  };

  async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 60_000) {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(50);
    }
  }

  it.each([
    ['uploading', { transport: 'ssh', host: { transfer_rate_limit: 30_000 } }],
    ['generating', { transport: 'ssh', sim: { timeScale: 0.05 } }],
    ['downloading', { transport: 'ssh', host: { transfer_rate_limit: 60_000 } }],
  ] as const)('cancelling while %s stops the container and marks the run cancelled', async (stage, options) => {
    await open(options);
    const videoDir = stage === 'uploading' ? await makeUniqueInputs(h!.dir) : demoInputs;
    const { run } = await startInference(deps(), { promptId: (await newPrompt(`cancel while ${stage}`, videoDir)).id });
    await waitUntil(async () => (await findRun(h!.db, run.id))?.stage === stage, `stage ${stage}`);
    expect(await cancelWork(deps(), run.id)).toEqual({ cancelled: [run.id] });
    const done = await waitForRun(deps(), run.id);
    expect(done).toMatchObject({ status: 'cancelled', failureKind: 'cancelled' });
    expect(done.completedAt).not.toBeNull();
    expect(await runningContainers()).toEqual([]);
    await expect(cancelWork(deps(), run.id)).rejects.toThrow(InputError);
    await expect(cancelWork(deps(), run.id)).rejects.toThrow(/already cancelled; there is nothing to cancel/);
  });

  it('cancelling a run queued for a GPU slot cancels it without ever starting its container', async () => {
    await open({ transport: 'local', sim: { timeScale: 0.02 } });
    const prompt = await newPrompt('cancel while queued');
    const first = (await startInference(deps(), { promptId: prompt.id })).run;
    await waitUntil(async () => (await findRun(h!.db, first.id))?.stage === 'generating', 'the first run generating');
    const second = (await startInference(deps(), { promptId: prompt.id, params: { seed: 2 } })).run;
    await waitUntil(async () => (await findRun(h!.db, second.id))?.stage === 'queued', 'the second run queued');
    await cancelWork(deps(), second.id);
    expect(await waitForRun(deps(), second.id)).toMatchObject({ status: 'cancelled' });
    expect(await waitForRun(deps(), first.id)).toMatchObject({ status: 'completed' });
    expect((await listSimContainers(h!.simHome)).map((c) => c.name)).toEqual([`cosmos-transfer-${first.id}`]);
  });

  it('a run deleted while it runs ends its workflow instead of leaving it retrying forever', async () => {
    await open({ transport: 'local', sim: { timeScale: 0.02 } });
    const { run, workflowId } = await startInference(deps(), { promptId: (await newPrompt('deleted mid-run')).id });
    await waitUntil(async () => (await findRun(h!.db, run.id))?.stage === 'generating', 'the run generating');
    await h!.db.delete(runs).where(eq(runs.id, run.id));
    const failure = await h!.temporal.workflow.getHandle(workflowId).result().catch((error: unknown) => error as { cause?: Error });
    expect(failure.cause?.message).toMatch(/run rs_\w+ does not exist/);
    expect((await h!.temporal.workflow.getHandle(workflowId).describe()).status.name).toBe('FAILED');
  });

  it('a host with one GPU slot runs three jobs one at a time, shows the waiting ones as queued, and finishes all', async () => {
    await open({ transport: 'local', sim: { timeScale: 0.01 } });
    const prompt = await newPrompt('slot test');
    const runs: Run[] = [];
    for (let i = 0; i < 3; i++) runs.push((await startInference(deps(), { promptId: prompt.id, params: { seed: i } })).run);
    let sawQueued = false;
    let maxRunning = 0;
    await waitUntil(async () => {
      const rows = await Promise.all(runs.map((r) => findRun(h!.db, r.id)));
      if (rows.some((r) => r?.stage === 'queued')) sawQueued = true;
      maxRunning = Math.max(maxRunning, (await runningContainers()).length);
      return rows.every((r) => r?.status === 'completed');
    }, 'three completed runs', 120_000);
    expect(maxRunning).toBe(1);
    expect(sawQueued).toBe(true);
    const containers = (await listSimContainers(h!.simHome)).sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    expect(containers).toHaveLength(3);
    for (let i = 1; i < containers.length; i++) expect(containers[i]!.startedAt >= containers[i - 1]!.finishedAt).toBe(true);
  });

  it('with two hosts configured, work spreads over both', async () => {
    await open({ transport: 'local', sim: { timeScale: 0.01 }, moreHosts: [{}] });
    const prompt = await newPrompt('two hosts');
    const runs: Run[] = [];
    for (let i = 0; i < 4; i++) runs.push((await startInference(deps(), { promptId: prompt.id, params: { seed: i } })).run);
    const done = await Promise.all(runs.map((r) => waitForRun(deps(), r.id)));
    expect(done.map((r) => [r.status, r.errorMessage])).toEqual(done.map(() => ["completed", null]));
    expect(new Set(done.map((r) => r.gpuHost))).toEqual(new Set(h!.hosts.map((x) => x.name)));
    for (const host of h!.hosts) expect((await listSimContainers(host.simHome)).length).toBeGreaterThan(0);
  });

  it('kills a container whose log stops advancing and fails the run with timeout; running pipelines are listable by status', async () => {
    await open({ transport: 'local', temporal: { hang_timeout: '3s' } });
    await setFaults(h!.simHome, [{ promptContains: 'hangs forever', mode: 'hang' }]);
    const { run, workflowId } = await startInference(deps(), { promptId: (await newPrompt('this job hangs forever')).id });
    await waitUntil(async () => {
      const found = [];
      for await (const wf of h!.temporal.workflow.list({ query: `CosmosStatus="running" AND WorkflowId="${workflowId}"` })) found.push(wf);
      return found.length === 1 && found[0]!.typedSearchAttributes.get(CosmosStatus) === 'running';
    }, 'the running pipeline in a CosmosStatus list query');
    const done = await waitForRun(deps(), run.id);
    expect(done).toMatchObject({ status: 'failed', failureKind: 'timeout' });
    expect(done.errorMessage).toMatch(/made no progress for 3 s and was killed/);
    expect(await runningContainers()).toEqual([]);
  });
});

