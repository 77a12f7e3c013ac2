import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { startInference, waitForRun } from '../../src/client/runs.js';
import { createPrompt } from '../../src/core/create-prompt.js';
import { findRun } from '../../src/db/queries/runs.js';
import { createPipelineHarness, makeUniqueInputs, type HarnessOptions, type PipelineHarness } from '../helpers/pipeline-harness.js';
import { countStarts, expectIntactCompletedRun } from '../helpers/run-checks.js';
import { killHard, waitUntil } from '../helpers/worker-process.js';

const run = promisify(execFile);

/** The container itself goes wrong: removed behind our back, never started, or its worker replaced mid-run. */
describe('a run whose container', () => {
  let h: PipelineHarness | undefined;
  afterEach(() => h?.close());

  async function setUp(options: HarnessOptions, text: string) {
    h = await createPipelineHarness(options);
    const videoDir = await makeUniqueInputs(h.dir);
    const { prompt } = await createPrompt(h.db, { text, videoDir }, { negativePrompt: 'n' });
    return { harness: h, promptId: prompt.id };
  }
  const deps = (harness: PipelineHarness) => ({ db: harness.db, temporal: harness.temporal, config: harness.config });
  const docker = (harness: PipelineHarness, ...args: string[]) => run(join(harness.simHome, 'bin', 'docker'), args);

  it('was removed while the worker was down fails as container_lost, is never started again, and keeps its own log', async () => {
    const { harness, promptId } = await setUp({ transport: 'ssh', sim: { timeScale: 0.03 } }, 'container removed');
    const worker = harness.spawnWorker();
    const { run: started } = await startInference(deps(harness), { promptId });
    await waitUntil(async () => (await findRun(harness.db, started.id))?.stage === 'generating', 'generation');
    await killHard(worker);
    const { containerName } = (await findRun(harness.db, started.id))!;
    await docker(harness, 'rm', '-f', containerName!);
    harness.spawnWorker();
    const t0 = Date.now();
    const done = await waitForRun(deps(harness), started.id);
    expect(done.status).toBe('failed');
    expect(done.failureKind).toBe('container_lost');
    expect(done.errorMessage).toMatch(/gone|disappeared/);
    expect(await countStarts(harness.simHome, started.id)).toBe(1);
    const log = await readFile(done.outputs!.logPath!, 'utf8');
    // The run keeps the container's own log, read once: a prefix of what it wrote on the host (the tee'd file survives docker rm).
    const written = await readFile(join(harness.remoteDir, 'cosmos-jobs', started.id, 'run.log'), 'utf8');
    expect(log.length).toBeGreaterThan(0);
    expect(written.startsWith(log)).toBe(true);
    console.log(`[faults] container removed while the worker was down: container_lost ${((Date.now() - t0) / 1000).toFixed(1)} s after the new worker started`);
  });

  it('could not start (docker run exit 125: unknown GPU) fails at once as container_failed with docker\'s message', async () => {
    const { harness, promptId } = await setUp({ transport: 'ssh', host: { gpus: [3] } }, 'failed start');
    await harness.startWorker();
    const t0 = Date.now();
    const { run: started } = await startInference(deps(harness), { promptId });
    const done = await waitForRun(deps(harness), started.id);
    expect(done.status).toBe('failed');
    expect(done.failureKind).toBe('container_failed');
    expect(done.errorMessage).toMatch(/unknown device/);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(await countStarts(harness.simHome, started.id)).toBe(0);
  });

  it('was created but never started (its command is missing) fails as container_failed with docker\'s State.Error', async () => {
    const { harness, promptId } = await setUp({ transport: 'ssh', host: { env: { PATH: '/nonexistent' } } }, 'command missing');
    await harness.startWorker();
    const { run: started } = await startInference(deps(harness), { promptId });
    const done = await waitForRun(deps(harness), started.id);
    expect(done.failureKind).toBe('container_failed');
    expect(done.errorMessage).toMatch(/executable file not found/);
    expect(await countStarts(harness.simHome, started.id)).toBe(0);
  });

  it('left `created` with State.Error before the worker saw the failure is not waited on: the next attempt fails it at once', async () => {
    const { harness, promptId } = await setUp({ transport: 'ssh' }, 'created but failed');
    const { run: started } = await startInference(deps(harness), { promptId });
    // A worker that died right after `docker run` returned leaves exactly this behind.
    const failedRun = await docker(harness, 'run', '-d', '--name', `cosmos-transfer-${started.id}`, '-v', `${harness.remoteDir}:/workspace`,
      '-w', '/workspace', '-e', 'PATH=/nonexistent', 'cosmos-transfer1:test', 'bash', '-c', 'true').catch((e: unknown) => e);
    expect(failedRun).toMatchObject({ code: 127 });
    await harness.startWorker();
    const t0 = Date.now();
    const done = await waitForRun(deps(harness), started.id);
    expect(done.failureKind).toBe('container_failed');
    expect(done.errorMessage).toMatch(/could not start: .*executable file not found/);
    expect(Date.now() - t0).toBeLessThan(30_000);
  });

  it('outlives its worker when a second worker has joined: the second one takes over and nothing starts twice', async () => {
    const { harness, promptId } = await setUp({ transport: 'ssh', sim: { timeScale: 0.03 } }, 'second worker takes over');
    const workers = [harness.spawnWorker(), harness.spawnWorker()];
    const { run: started, workflowId } = await startInference(deps(harness), { promptId });
    await waitUntil(async () => (await findRun(harness.db, started.id))?.stage === 'generating', 'generation');
    const { raw } = await harness.temporal.workflow.getHandle(workflowId).describe();
    const identity = (raw.pendingActivities ?? []).map((a) => a.lastWorkerIdentity ?? '').find((id) => id.startsWith('cosmos-gpu-worker/'));
    const pid = Number(identity?.split('@')[1]);
    const holder = workers.find((w) => w.pid === pid);
    expect(holder, `the worker running the container activity (${identity})`).toBeDefined();
    await killHard(holder!);
    await waitForRun(deps(harness), started.id);
    await expectIntactCompletedRun(harness.db, harness.simHome, started.id);
  });
});
