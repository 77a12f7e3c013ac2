import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startInference, waitForRun } from '../../src/client/runs.js';
import { createPrompt } from '../../src/core/create-prompt.js';
import { findRun } from '../../src/db/queries/runs.js';
import { plantHostDefects } from '../../simulator/host-defects.js';
import { listSimContainers } from '../../simulator/install.js';
import { createPipelineHarness, demoInputs, type HarnessOptions, type PipelineHarness } from '../helpers/pipeline-harness.js';
import { waitUntil } from '../helpers/worker-process.js';

/**
 * The GPU choice sees what is not ours: a compute process nvidia-smi lists on a device none of our containers
 * holds (someone else's job) keeps our runs off that device, over SSH through the simulator's real nvidia-smi path.
 */
describe('GPU choice with a foreign compute process on the host', () => {
  let h: PipelineHarness | undefined;
  afterEach(() => h?.close());
  const deps = () => ({ db: h!.db, temporal: h!.temporal, config: h!.config });
  const foreign = { gpu: 0, pid: 4242, usedMemoryMiB: 30_000, name: '/opt/conda/bin/python' };

  async function open(options: HarnessOptions, text: string) {
    h = await createPipelineHarness(options);
    await plantHostDefects(h.simHome, { gpuProcesses: [foreign] });
    await h.startWorker();
    const { prompt } = await createPrompt(h.db, { text, videoDir: demoInputs }, { negativePrompt: 'n' });
    return (await startInference(deps(), { promptId: prompt.id })).run;
  }

  /** Why the run's job waits in the GPU queue, as its slot activity last heartbeated it. */
  async function waitingFor(workflowId: string): Promise<string> {
    const { raw } = await h!.temporal.workflow.getHandle(workflowId).describe();
    const activity = (raw.pendingActivities ?? []).find((a) => a.activityType?.name === 'acquireGpuSlot');
    const payload = activity?.heartbeatDetails?.payloads?.[0]?.data;
    return payload ? String((JSON.parse(Buffer.from(payload).toString('utf8')) as { waitingFor?: string }).waitingFor ?? '') : '';
  }

  it('on a 2-GPU host a process that is not ours on GPU 0 sends the run to GPU 1', async () => {
    const run = await open({ transport: 'ssh', sim: { gpus: 2 }, host: { gpus: [0, 1] } }, 'foreign process on gpu 0');
    const done = await waitForRun(deps(), run.id);
    expect(done.status, done.errorMessage ?? '').toBe('completed');
    const containers = await listSimContainers(h!.simHome);
    expect(containers.map((c) => [c.name, c.labels['cosmos.gpus']])).toEqual([[`cosmos-transfer-${run.id}`, '1']]);
  });

  it('on a 1-GPU host the run waits queued, saying why, until the process is gone, then completes', async () => {
    const run = await open({ transport: 'ssh', sim: { gpus: 1 } }, 'foreign process on the only gpu');
    const { workflowId } = (await findRun(h!.db, run.id))!;
    let reason = '';
    await waitUntil(async () => {
      reason = await waitingFor(workflowId!);
      return reason.includes('GPU 0');
    }, 'the queued job to say why it waits', 60_000);
    expect(reason).toContain('a compute process that is not ours (pid 4242 30000 MiB)');
    await sleep(2_000);
    // Each lease the host check finds bad goes back before the run is marked started.
    expect(await findRun(h!.db, run.id)).toMatchObject({ status: 'queued', stage: 'queued', startedAt: null, gpuHost: null });
    expect(await listSimContainers(h!.simHome)).toEqual([]);

    await plantHostDefects(h!.simHome, { gpuProcesses: undefined });
    const done = await waitForRun(deps(), run.id);
    expect(done.status, done.errorMessage ?? '').toBe('completed');
    expect((await listSimContainers(h!.simHome)).map((c) => c.labels['cosmos.gpus'])).toEqual(['0']);
  });
});
