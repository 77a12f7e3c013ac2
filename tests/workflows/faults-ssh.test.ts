import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startInference, waitForRun } from '../../src/client/runs.js';
import { createPrompt } from '../../src/core/create-prompt.js';
import { findRun, listRunEvents } from '../../src/db/queries/runs.js';
import { createPipelineHarness, makeUniqueInputs, type PipelineHarness } from '../helpers/pipeline-harness.js';
import { expectIntactCompletedRun } from '../helpers/run-checks.js';
import { waitUntil } from '../helpers/worker-process.js';

const heartbeatSeconds = 4;

/** The GPU host's SSH link fails while a run is in flight; the run resumes on its own and nothing is lost or doubled. */
describe('a run whose SSH link fails', () => {
  let h: PipelineHarness | undefined;
  afterEach(() => h?.close());

  async function start(options: Parameters<typeof createPipelineHarness>[0], text: string) {
    h = await createPipelineHarness({ ...options, temporal: { heartbeat_timeout: `${heartbeatSeconds}s` } });
    await h.startWorker();
    const videoDir = await makeUniqueInputs(h.dir);
    const { prompt } = await createPrompt(h.db, { text, videoDir }, { negativePrompt: 'n' });
    const { run } = await startInference({ db: h.db, temporal: h.temporal, config: h.config }, { promptId: prompt.id });
    return { harness: h, runId: run.id };
  }

  /**
   * Seconds from `since` until the worker followed the container again: the GPU activity's first heartbeat after
   * `since` that reports the container (not "waiting for the GPU host"), or the run finishing.
   */
  async function secondsUntilItMoves(harness: PipelineHarness, runId: string, since: number): Promise<number> {
    const handle = harness.temporal.workflow.getHandle((await findRun(harness.db, runId))!.workflowId!);
    await waitUntil(async () => {
      if ((await findRun(harness.db, runId))?.status !== 'running') return true;
      const { raw } = await handle.describe();
      return (raw.pendingActivities ?? []).some((activity) => {
        const at = Number(activity.lastHeartbeatTime?.seconds ?? 0) * 1000 + Math.floor((activity.lastHeartbeatTime?.nanos ?? 0) / 1e6);
        const details = (activity.heartbeatDetails?.payloads ?? []).map((p) => JSON.parse(Buffer.from(p.data!).toString()) as { phase?: string });
        return at > since && details.some((d) => d.phase !== undefined && d.phase !== 'waiting for the GPU host');
      });
    }, `run ${runId} to move again`, 120_000);
    return (Date.now() - since) / 1000;
  }

  it('drops while idle and during generation: the run completes with one container and every milestone once', async () => {
    const { harness, runId } = await start({ transport: 'ssh', sim: { timeScale: 0.03 } }, 'ssh drops while generating');
    await harness.sshd!.dropConnections();
    await waitUntil(async () => (await findRun(harness.db, runId))?.stage === 'generating', 'generation');
    for (let i = 0; i < 3; i += 1) {
      await harness.sshd!.dropConnections();
      const dropped = Date.now();
      const moved = await secondsUntilItMoves(harness, runId, dropped);
      expect(moved).toBeLessThan(heartbeatSeconds + 30);
      console.log(`[faults] SSH drop during generation: run moved again after ${moved.toFixed(1)} s`);
    }
    await waitForRun({ db: harness.db, temporal: harness.temporal, config: harness.config }, runId);
    await expectIntactCompletedRun(harness.db, harness.simHome, runId);
  });

  it('survives sshd being down for longer than the heartbeat timeout while the container runs', async () => {
    const { harness, runId } = await start({ transport: 'ssh', sim: { timeScale: 0.03 } }, 'sshd down mid-run');
    await waitUntil(async () => (await findRun(harness.db, runId))?.stage === 'generating', 'generation');
    await harness.sshd!.pause();
    await sleep((heartbeatSeconds * 2 + 2) * 1000);
    await harness.sshd!.resume();
    const resumed = Date.now();
    const moved = await secondsUntilItMoves(harness, runId, resumed);
    console.log(`[faults] sshd down ${heartbeatSeconds * 2 + 2} s: run moved again ${moved.toFixed(1)} s after sshd returned`);
    expect(moved).toBeLessThan(heartbeatSeconds + 30);
    await waitForRun({ db: harness.db, temporal: harness.temporal, config: harness.config }, runId);
    await expectIntactCompletedRun(harness.db, harness.simHome, runId);
  });

  it('drops during upload and during download: both transfers resume and the outputs verify', async () => {
    const { harness, runId } = await start({ transport: 'ssh', host: { transfer_rate_limit: 40_000 } }, 'ssh drops while transferring');
    await waitUntil(async () => partialFiles(join(harness.remoteDir, 'cosmos-cache', 'sha256')).length > 0, 'an upload in flight');
    await harness.sshd!.dropConnections();
    await waitUntil(async () => partialFiles(join(harness.config.dataDir, 'runs', runId)).length > 0, 'a download in flight', 120_000);
    await harness.sshd!.dropConnections();
    await waitForRun({ db: harness.db, temporal: harness.temporal, config: harness.config }, runId);
    await expectIntactCompletedRun(harness.db, harness.simHome, runId);
    expect(partialFiles(join(harness.config.dataDir, 'runs', runId))).toEqual([]);
  });
});

function partialFiles(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String).filter((name) => name.includes('.partial')) : [];
}
