import { eq, inArray } from 'drizzle-orm';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db, type DbHandle } from '../../src/db/client.js';
import {
  allHosts, blockDevice, enqueueGpuJob, findGpuJob, listGpuJobs, markHostReachable, markHostUnreachable, releaseGpuJob, requeueGpuJob,
  runSchedulingPass, setHostControl,
} from '../../src/db/queries/gpu-queue.js';
import { gpuHostControls, gpuJobs, gpuLeasedDevices, runs } from '../../src/db/schema.js';
import { openMigratedDb } from '../helpers/migrated-db.js';
import { seedPrompt, seedRun } from '../helpers/seed-records.js';

/** A 1-GPU host and a 2-GPU host, as the scheduling worker's configuration names them. */
const hosts = new Map([['one', [0]], ['two', [0, 1]]]);
const either = [{ host: 'one', gpus: 1 }, { host: 'two', gpus: 1 }];

describe('the GPU queue in PostgreSQL', () => {
  let db: Db;
  let url: string;
  let close: () => Promise<void>;
  let promptId: string;

  beforeAll(async () => {
    ({ db, url, close } = await openMigratedDb());
    promptId = (await seedPrompt(db)).id;
  });
  afterAll(() => close?.());

  /** Empties the queue and the host controls between tests (runs stay; each test makes its own). */
  async function freshQueue(): Promise<void> {
    await db.delete(gpuJobs);
    await db.delete(gpuHostControls);
  }

  /** A job of `runCount` new open runs, in the queue now. */
  async function enqueue(jobKey: string, candidates = either, runCount = 1, priority = 0): Promise<string[]> {
    const runIds: string[] = [];
    for (let i = 0; i < runCount; i += 1) runIds.push((await seedRun(db, promptId, { status: 'queued', stage: 'queued', priority })).id);
    await enqueueGpuJob(db, { jobKey, modelType: 'transfer', runIds, candidates });
    return runIds;
  }

  it('never leases one device twice while three connections run passes concurrently and jobs end, and every job gets a lease', async () => {
    await freshQueue();
    const keys = Array.from({ length: 30 }, (_, i) => `job-${String(i).padStart(2, '0')}`);
    // Every fifth job needs both GPUs of the 2-GPU host; the others fit either host.
    for (const [i, key] of keys.entries()) await enqueue(key, i % 5 === 0 ? [{ host: 'two', gpus: 2 }] : either);
    const handles: DbHandle[] = [createDb(url, { max: 2 }), createDb(url, { max: 2 }), createDb(url, { max: 2 })];
    try {
      const holder = new Map<string, string>(); // "host/device" → the job that holds it, as the grants said
      const grantedTimes = new Map<string, number>();
      const held: string[] = [];
      const doubles: string[] = [];
      const errors: unknown[] = [];
      let passes = 0;
      const release = async (handle: DbHandle) => {
        const key = held.splice(Math.floor(Math.random() * held.length), 1)[0];
        if (!key) return;
        // Out of the ledger first: once the row is gone another pass may grant the device at once.
        for (const [device, owner] of holder) if (owner === key) holder.delete(device);
        expect(await releaseGpuJob(handle.db, key)).toBe(true);
      };
      const loop = async (handle: DbHandle) => {
        const deadline = Date.now() + 60_000;
        while ([...grantedTimes.keys()].length < keys.length || held.length > 0) {
          if (Date.now() > deadline) throw new Error(`only ${grantedTimes.size} of ${keys.length} jobs leased after ${passes} passes`);
          try {
            const { grants } = await runSchedulingPass(handle.db, hosts);
            passes += 1;
            for (const grant of grants) {
              grantedTimes.set(grant.jobKey, (grantedTimes.get(grant.jobKey) ?? 0) + 1);
              for (const device of grant.devices) {
                const slot = `${grant.host}/${device}`;
                const owner = holder.get(slot);
                if (owner !== undefined) doubles.push(`${slot} leased to ${grant.jobKey} while ${owner} held it`);
                holder.set(slot, grant.jobKey);
              }
              held.push(grant.jobKey);
            }
          } catch (error) {
            errors.push(error);
          }
          // Jobs end at random moments, from any connection, while the other connections run passes.
          if (held.length > 0 && Math.random() < 0.6) await release(handle);
          await sleep(Math.random() * 3);
        }
      };
      await Promise.all(handles.map(loop));
      expect(errors).toEqual([]);
      expect(doubles).toEqual([]);
      expect([...grantedTimes].filter(([, times]) => times !== 1)).toEqual([]);
      expect(new Set(grantedTimes.keys())).toEqual(new Set(keys));
      expect(passes).toBeGreaterThan(keys.length);
      expect(await db.select().from(gpuJobs)).toEqual([]);
      expect(await db.select().from(gpuLeasedDevices)).toEqual([]);
    } finally {
      await Promise.all(handles.map((h) => h.close()));
    }
  });

  it('serialises passes: two passes fired at the same moment from two connections grant a free device once', async () => {
    await freshQueue();
    const handles = [createDb(url, { max: 1 }), createDb(url, { max: 1 })];
    try {
      for (let round = 0; round < 10; round += 1) {
        await enqueue(`race-${round}-a`, [{ host: 'one', gpus: 1 }]);
        await enqueue(`race-${round}-b`, [{ host: 'one', gpus: 1 }]);
        const results = await Promise.all(handles.map((h) => runSchedulingPass(h.db, hosts)));
        const grants = results.flatMap((r) => r.grants);
        expect(grants).toEqual([{ jobKey: `race-${round}-a`, host: 'one', devices: [0] }]);
        await releaseGpuJob(db, `race-${round}-a`);
        await releaseGpuJob(db, `race-${round}-b`);
      }
    } finally {
      await Promise.all(handles.map((h) => h.close()));
    }
  });

  it('drops at the next pass the jobs whose runs have all ended, leased or waiting, and hands their devices on in that pass', async () => {
    await freshQueue();
    const [leasedRun] = await enqueue('ended-leased', [{ host: 'one', gpus: 1 }]);
    const [waitingRun] = await enqueue('ended-waiting', [{ host: 'one', gpus: 1 }]);
    const batchRuns = await enqueue('batch-half-open', [{ host: 'one', gpus: 1 }], 2);
    expect((await runSchedulingPass(db, hosts)).grants.map((g) => g.jobKey)).toEqual(['ended-leased']);
    // The workflows were terminated without releasing: the run rows are all that says so.
    await db.update(runs).set({ status: 'completed', completedAt: new Date() }).where(eq(runs.id, leasedRun!));
    await db.update(runs).set({ status: 'cancelled', completedAt: new Date() }).where(inArray(runs.id, [waitingRun!, batchRuns[0]!]));
    const { grants, places } = await runSchedulingPass(db, hosts);
    expect(grants).toEqual([{ jobKey: 'batch-half-open', host: 'one', devices: [0] }]);
    expect(places).toEqual({});
    expect((await listGpuJobs(db)).map((j) => j.jobKey)).toEqual(['batch-half-open']);
    expect(await db.select().from(gpuLeasedDevices)).toEqual([{ host: 'one', device: 0, jobKey: 'batch-half-open' }]);
  });

  it('keeps a job its place when it gives a bad slot back, and leaves a blocked device alone until the block expires', async () => {
    await freshQueue();
    for (const key of ['first', 'second', 'third']) await enqueue(key, [{ host: 'one', gpus: 1 }]);
    expect((await runSchedulingPass(db, hosts)).grants.map((g) => g.jobKey)).toEqual(['first']);
    const blockedUntil = Date.now() + 30_000;
    await blockDevice(db, 'one', 0, blockedUntil, 'held by pid 4242 (python)');
    await requeueGpuJob(db, 'first', 'one: GPU 0: held by pid 4242 (python)');
    expect(await findGpuJob(db, 'first')).toMatchObject({ host: null, devices: null, leasedAt: null, waitingFor: 'one: GPU 0: held by pid 4242 (python)' });
    expect(await db.select().from(gpuLeasedDevices)).toEqual([]);

    const blocked = await runSchedulingPass(db, hosts);
    expect(blocked.grants).toEqual([]);
    expect(blocked.places.first).toEqual({ position: 1, reason: 'one: 0 of 1 GPUs free, needs 1 (GPU 0 held by pid 4242 (python))' });
    expect([blocked.places.second?.position, blocked.places.third?.position]).toEqual([2, 3]);
    expect((await findGpuJob(db, 'first'))?.waitingFor).toBe(blocked.places.first!.reason);

    const later = await runSchedulingPass(db, hosts, blockedUntil + 1);
    expect(later.grants).toEqual([{ jobKey: 'first', host: 'one', devices: [0] }]);
    expect(later.places).toMatchObject({ second: { position: 1 }, third: { position: 2 } });
  });

  it('grants nothing while the queue is paused, skips a drained host and a host marked unreachable, and takes them back', async () => {
    await freshQueue();
    for (const key of ['p1', 'p2', 'p3', 'p4']) await enqueue(key);
    await setHostControl(db, allHosts, { paused: true });
    const paused = await runSchedulingPass(db, hosts);
    expect(paused.grants).toEqual([]);
    expect(Object.values(paused.places)).toEqual([1, 2, 3, 4].map((position) => ({ position, reason: 'the queue is paused' })));

    await setHostControl(db, allHosts, { paused: false });
    await setHostControl(db, 'one', { drained: true });
    await markHostUnreachable(db, 'two', 'cannot connect to 127.0.0.1:22: connection refused');
    const skipped = await runSchedulingPass(db, hosts);
    expect(skipped.grants).toEqual([]);
    expect(skipped.places.p1?.reason).toMatch(/^one is drained; two is down \(unreachable since \S+: cannot connect to 127\.0\.0\.1:22: connection refused\)$/);

    await markHostReachable(db, 'two');
    expect((await runSchedulingPass(db, hosts)).grants).toEqual([
      { jobKey: 'p1', host: 'two', devices: [0] }, { jobKey: 'p2', host: 'two', devices: [1] },
    ]);
    await setHostControl(db, 'one', { drained: false });
    expect((await runSchedulingPass(db, hosts)).grants).toEqual([{ jobKey: 'p3', host: 'one', devices: [0] }]);
    expect((await listGpuJobs(db)).filter((j) => j.host === null).map((j) => [j.jobKey, j.waitingFor])).toEqual([['p4', 'one: 0 of 1 GPUs free, needs 1; two: 0 of 2 GPUs free, needs 1']]);
  });

  it('places jobs of one priority in the order their runs were submitted, not the order their workflows enqueued them', async () => {
    await freshQueue();
    const submitted = [];
    for (let i = 0; i < 3; i += 1) submitted.push((await seedRun(db, promptId, { status: 'queued' })).id);
    // Three workflows started one after the other reach the queue in another order.
    for (const i of [2, 0, 1]) await enqueueGpuJob(db, { jobKey: `submitted-${i}`, modelType: 'transfer', runIds: [submitted[i]!], candidates: [{ host: 'one', gpus: 1 }] });
    expect((await listGpuJobs(db)).map((j) => j.jobKey)).toEqual(['submitted-0', 'submitted-1', 'submitted-2']);
    const { grants, places } = await runSchedulingPass(db, hosts);
    expect(grants.map((g) => g.jobKey)).toEqual(['submitted-0']);
    expect(places).toEqual({ 'submitted-1': expect.objectContaining({ position: 1 }), 'submitted-2': expect.objectContaining({ position: 2 }) });
  });

  it('enqueues once per job key, at the priority of its highest run, ahead of older jobs of lower priority', async () => {
    await freshQueue();
    await enqueue('older', [{ host: 'one', gpus: 1 }]);
    const runIds = [(await seedRun(db, promptId, { status: 'queued', priority: 0 })).id, (await seedRun(db, promptId, { status: 'queued', priority: 7 })).id];
    const job = { jobKey: 'urgent-batch', modelType: 'transfer', runIds, candidates: [{ host: 'one', gpus: 1 }] };
    const first = await enqueueGpuJob(db, job);
    const again = await enqueueGpuJob(db, job);
    expect(first.priority).toBe(7);
    expect(again).toEqual(first);
    expect((await listGpuJobs(db)).map((j) => j.jobKey)).toEqual(['urgent-batch', 'older']);
    expect((await runSchedulingPass(db, hosts)).grants.map((g) => g.jobKey)).toEqual(['urgent-batch']);
  });
});
