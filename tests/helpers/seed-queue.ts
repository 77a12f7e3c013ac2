import { eq } from 'drizzle-orm';
import type { Db } from '../../src/db/client.js';
import { enqueueGpuJob, runSchedulingPass } from '../../src/db/queries/gpu-queue.js';
import { runEvents, runs } from '../../src/db/schema.js';
import { seedPrompt, seedRun } from './seed-records.js';

export interface SeededQueue {
  /** Leased on `wide` (GPU 0 and 1): A's container started at its lease, B is still uploading. */
  runningA: string; runningB: string;
  /** Waiting: E (priority 5, `wide` only), C (either host), D (pinned to `narrow` with --host). */
  waitingE: string; waitingC: string; waitingD: string;
}

const day = 86_400_000;

/**
 * A queue on a 2-GPU host `wide` and a 1-GPU host `narrow`, with three finished transfer containers of 100, 200 and
 * 300 s (each measured to its `downloading` event; the runs completed 30 s later) so every estimate is 200 s.
 */
export async function seedQueue(db: Db, wide: string, narrow: string): Promise<SeededQueue> {
  const promptId = (await seedPrompt(db)).id;
  const executionConfig = { num_steps: 35 };
  for (const [i, seconds] of [100, 200, 300].entries()) {
    const started = new Date(Date.now() - day + i * 1000);
    const run = await seedRun(db, promptId, {
      status: 'completed', executionConfig, gpuHost: wide, containerName: `cosmos-transfer-sample-${i}`, containerStartedAt: started,
      startedAt: started, completedAt: new Date(started.getTime() + (seconds + 30) * 1000),
    });
    await db.insert(runEvents).values({ runId: run.id, stage: 'downloading', progress: 0.9, message: 'downloading outputs', at: new Date(started.getTime() + seconds * 1000) });
  }
  const job = async (candidates: Array<{ host: string; gpus: number }>, fields: { priority?: number; gpuHost?: string } = {}) => {
    const run = await seedRun(db, promptId, { status: 'queued', stage: 'queued', executionConfig, ...fields });
    await enqueueGpuJob(db, { jobKey: run.id, modelType: 'transfer', runIds: [run.id], candidates });
    return run.id;
  };
  const onWide = [{ host: wide, gpus: 1 }];
  const runningA = await job(onWide);
  const runningB = await job(onWide);
  await runSchedulingPass(db, new Map([[wide, [0, 1]], [narrow, [0]]]));
  await db.update(runs).set({ containerStartedAt: new Date() }).where(eq(runs.id, runningA));
  const waitingE = await job(onWide, { priority: 5 });
  const waitingC = await job([{ host: wide, gpus: 1 }, { host: narrow, gpus: 1 }]);
  const waitingD = await job([{ host: narrow, gpus: 1 }], { gpuHost: narrow });
  return { runningA, runningB, waitingE, waitingC, waitingD };
}
