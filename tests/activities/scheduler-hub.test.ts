import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActivityDeps } from '../../src/activities/deps.js';
import { createSchedulerHub } from '../../src/activities/scheduler-hub.js';
import type { Db } from '../../src/db/client.js';
import { enqueueGpuJob, releaseGpuJob } from '../../src/db/queries/gpu-queue.js';
import { openMigratedDb } from '../helpers/migrated-db.js';
import { seedPrompt, seedRun } from '../helpers/seed-records.js';

/** A worker process's scheduler hub on real PostgreSQL, with no host configured: nothing is ever granted. */
describe('the scheduler hub of a worker process', () => {
  let db: Db;
  let close: () => Promise<void>;
  beforeAll(async () => ({ db, close } = await openMigratedDb()));
  afterAll(() => close?.());

  async function waitingJobs(count: number, tag: string): Promise<string[]> {
    const prompt = await seedPrompt(db);
    const keys: string[] = [];
    for (let i = 0; i < count; i += 1) {
      const run = await seedRun(db, prompt.id, { status: 'queued', stage: 'queued' });
      await enqueueGpuJob(db, { jobKey: `${tag}-${i}`, modelType: 'transfer', runIds: [run.id], candidates: [{ host: 'elsewhere', gpus: 1 }] });
      keys.push(`${tag}-${i}`);
    }
    return keys;
  }

  it('does not take a wait that starts while it reads the queue for a job that left the queue', async () => {
    const keys = await waitingJobs(40, 'arrives');
    const hub = createSchedulerHub({ db, hosts: new Map() } as unknown as ActivityDeps);
    const stop = new AbortController();
    const settled: string[] = [];
    const updates = new Set<string>();
    const waits: Promise<unknown>[] = [];
    // Waits start at random moments, as retried activities do after a worker crash; each wakes the hub's loop.
    for (const key of keys) {
      waits.push(hub.waitForGrant(key, () => updates.add(key), stop.signal).then(() => settled.push(key), () => undefined));
      await sleep(Math.random() * 4);
    }
    await sleep(1_500);
    expect(settled).toEqual([]);
    expect(updates).toEqual(new Set(keys));
    stop.abort();
    await Promise.all(waits);
  });

  it('ends the wait of a job whose row is gone, and only that one', async () => {
    const [gone, stays] = await waitingJobs(2, 'leaves');
    const hub = createSchedulerHub({ db, hosts: new Map() } as unknown as ActivityDeps);
    const stop = new AbortController();
    const ended: string[] = [];
    const waits = [gone!, stays!].map((key) => hub.waitForGrant(key, () => {}, stop.signal).then((row) => ended.push(`${key}:${row === undefined ? 'gone' : 'leased'}`), () => undefined));
    await sleep(700);
    await releaseGpuJob(db, gone!);
    await sleep(1_200);
    expect(ended).toEqual([`${gone}:gone`]);
    stop.abort();
    await Promise.all(waits);
  });
});
