import { afterEach, describe, expect, it } from 'vitest';
import { startInference, waitForRun } from '../../src/client/runs.js';
import { createPrompt } from '../../src/core/create-prompt.js';
import { findRun } from '../../src/db/queries/runs.js';
import { listSimContainers } from '../../simulator/install.js';
import { createPipelineHarness, makeUniqueInputs, type PipelineHarness } from '../helpers/pipeline-harness.js';
import { expectIntactCompletedRun } from '../helpers/run-checks.js';
import { killHard } from '../helpers/worker-process.js';
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

const runCount = 30;
const kills = 3;

/** 30 runs on a 2-GPU host while the worker is SIGKILLed three times at random moments. */
describe('a soak of 30 runs with worker crashes', () => {
  let h: PipelineHarness | undefined;
  afterEach(() => h?.close());

  it.each([['5s'], ['45s (the production default)']])('finishes every run at a %s heartbeat, never more than 2 containers at once, one start per run', async (heartbeat) => {
    h = await createPipelineHarness({
      transport: 'ssh', sim: { gpus: 2, timeScale: 0.004 }, host: { gpus: [0, 1], gpus_per_job: 1 },
      temporal: { heartbeat_timeout: heartbeat.split(' ')[0] },
    });
    const harness = h;
    const deps = { db: harness.db, temporal: harness.temporal, config: harness.config };
    let worker: ChildProcess = harness.spawnWorker();
    const videoDir = await makeUniqueInputs(harness.dir);
    const { prompt } = await createPrompt(harness.db, { text: `soak at ${heartbeat}`, videoDir }, { negativePrompt: 'n' });
    const t0 = Date.now();
    const runIds: string[] = [];
    for (let i = 0; i < runCount; i += 1) runIds.push((await startInference(deps, { promptId: prompt.id, params: { seed: i + 1 } })).run.id);

    let most = 0;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const running = (await listSimContainers(harness.simHome)).filter((c) => c.status === 'running').length;
        most = Math.max(most, running);
        await sleep(100);
      }
    })();
    const killTimes: number[] = [];
    const crasher = (async () => {
      for (let k = 0; k < kills; k += 1) {
        await sleep(4_000 + Math.random() * 12_000);
        killTimes.push(Math.round((Date.now() - t0) / 1000));
        await killHard(worker);
        worker = harness.spawnWorker();
      }
    })();

    const finished = await Promise.all(runIds.map((id) => waitForRun(deps, id)));
    await crasher;
    watching = false;
    await watcher;
    const seconds = (Date.now() - t0) / 1000;
    const statuses = finished.map((r) => r.status);
    console.log(`[faults] soak at ${heartbeat}: ${statuses.filter((s) => s === 'completed').length}/${runCount} completed in ${seconds.toFixed(0)} s, worker killed at ${killTimes.join(', ')} s, at most ${most} containers at once`);
    for (const r of finished.filter((f) => f.status !== 'completed')) console.log(`[faults] soak: ${r.id} ${r.status} ${r.failureKind}: ${r.errorMessage}`);
    expect(statuses).toEqual(runIds.map(() => 'completed'));
    expect(most).toBeLessThanOrEqual(2);
    for (const id of runIds) await expectIntactCompletedRun(harness.db, harness.simHome, id);
    expect((await findRun(harness.db, runIds[0]!))!.outputs!.files.length).toBeGreaterThan(0);
  }, 900_000);
});
