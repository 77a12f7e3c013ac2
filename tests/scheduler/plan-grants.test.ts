import { describe, expect, it } from 'vitest';
import { planGrants, type HostSlots, type WaitingJob } from '../../src/scheduler/plan-grants.js';

/** A waiting job: `on` lists its candidate hosts in configuration order with the GPUs it takes on each. */
const job = (jobKey: string, options: { priority?: number; at?: number; on?: Array<[string, number]>; model?: string } = {}): WaitingJob => ({
  jobKey, ...(options.model ? { modelType: options.model } : {}), priority: options.priority ?? 0, enqueuedAt: options.at ?? 0,
  candidates: (options.on ?? [['a', 1]]).map(([host, gpus]) => ({ host, gpus })),
});
const host = (devices: number[], leased: number[] = [], extra: Partial<HostSlots> = {}): HostSlots => ({ devices, leased: new Set(leased), ...extra });
const hosts = (entries: Record<string, HostSlots>) => new Map(Object.entries(entries));
const granted = (plan: ReturnType<typeof planGrants>) => plan.grants.map((g) => `${g.jobKey}→${g.host}[${g.devices.join(',')}]`);
const places = (plan: ReturnType<typeof planGrants>) => Object.fromEntries([...plan.waiting].map(([key, place]) => [key, place.position]));

describe('a scheduling pass', () => {
  it('serves higher priorities first, whatever their submission order', () => {
    const plan = planGrants([job('low', { at: 1 }), job('high', { priority: 10, at: 3 }), job('mid', { priority: 5, at: 2 })], hosts({ a: host([0]) }));
    expect(granted(plan)).toEqual(['high→a[0]']);
    expect(places(plan)).toEqual({ mid: 1, low: 2 });
  });

  it('serves one priority in submission order, and the job key breaks a tie the same way every time', () => {
    const jobs = [job('c', { at: 30 }), job('b2', { at: 20 }), job('a', { at: 10 }), job('b1', { at: 20 })];
    const plan = planGrants(jobs, hosts({ a: host([0, 1]) }));
    expect(granted(plan)).toEqual(['a→a[0]', 'b1→a[1]']);
    expect(places(plan)).toEqual({ b2: 1, c: 2 });
    expect(granted(planGrants([...jobs].reverse(), hosts({ a: host([0, 1]) })))).toEqual(granted(plan));
  });

  it('grants the lowest free devices and leaves leased ones alone', () => {
    const plan = planGrants([job('one', { on: [['a', 2]] })], hosts({ a: host([0, 1, 2, 3], [0, 2]) }));
    expect(granted(plan)).toEqual(['one→a[1,3]']);
  });

  it('does not let a stream of 1-GPU jobs starve a 2-GPU job: it takes the host as soon as the job in front of it ends', () => {
    // Host a has 2 GPUs; a 1-GPU job holds GPU 0 when the 2-GPU job arrives, and a new 1-GPU job arrives every tick.
    const holders = new Map<number, string>([[0, 'small-0']]);
    const running = ['small-0'];
    let waiting: WaitingJob[] = [job('big', { at: 1, on: [['a', 2]] })];
    const order: string[] = [];
    for (let tick = 1; tick <= 20 && !order.includes('big'); tick += 1) {
      waiting.push(job(`small-${tick}`, { at: 1 + tick }));
      const plan = planGrants(waiting, hosts({ a: host([0, 1], [...holders.keys()]) }));
      for (const grant of plan.grants) {
        order.push(grant.jobKey);
        for (const device of grant.devices) holders.set(device, grant.jobKey);
        running.push(grant.jobKey);
      }
      waiting = waiting.filter((w) => !plan.grants.some((g) => g.jobKey === w.jobKey));
      if (tick === 1) expect(plan.waiting.get('small-1')?.reason).toBe('a: held for a job ahead in the queue');
      // The oldest running job ends.
      const oldest = running.shift();
      for (const [device, key] of holders) if (key === oldest) holders.delete(device);
    }
    expect(order[0]).toBe('big');
  });

  it('lets a smaller job behind a blocked one backfill another host, just not the host the blocked one waits for', () => {
    const plan = planGrants([
      job('big', { at: 1, on: [['a', 2]] }),
      job('either', { at: 2, on: [['a', 1], ['b', 1]] }),
      job('only-a', { at: 3, on: [['a', 1]] }),
    ], hosts({ a: host([0, 1], [0]), b: host([0]) }));
    expect(granted(plan)).toEqual(['either→b[0]']);
    expect(plan.waiting.get('big')).toEqual({ position: 1, reason: 'a: 1 of 2 GPUs free, needs 2' });
    expect(plan.waiting.get('only-a')).toEqual({ position: 2, reason: 'a: held for a job ahead in the queue' });
  });

  it('has a blocked job hold only the host where it is closest to fitting', () => {
    // Short of 1 GPU on a, of 2 on b: a is held for it, b stays open to the jobs behind it.
    const plan = planGrants([
      job('big', { at: 1, on: [['a', 2], ['b', 4]] }),
      job('small', { at: 2, on: [['a', 1], ['b', 1]] }),
    ], hosts({ a: host([0, 1], [0]), b: host([0, 1, 2, 3], [0, 1]) }));
    expect(granted(plan)).toEqual(['small→b[2]']);
    expect(plan.waiting.get('big')?.reason).toBe('a: 1 of 2 GPUs free, needs 2; b: 2 of 4 GPUs free, needs 4');
  });

  it('grants nothing while the whole queue is paused, and still numbers every waiting job', () => {
    const plan = planGrants([job('x', { at: 2 }), job('y', { at: 1 }), job('z', { priority: 1, at: 3 })], hosts({ a: host([0, 1, 2]) }), { paused: true });
    expect(plan.grants).toEqual([]);
    expect([...plan.waiting]).toEqual([
      ['z', { position: 1, reason: 'the queue is paused' }],
      ['y', { position: 2, reason: 'the queue is paused' }],
      ['x', { position: 3, reason: 'the queue is paused' }],
    ]);
  });

  it('skips paused, drained and down hosts, saying why, and uses the next candidate that is open', () => {
    const slots = hosts({
      p: host([0], [], { paused: true }),
      d: host([0], [], { drained: true }),
      u: host([0], [], { down: 'unreachable since 2026-01-01T00:00:00.000Z: connection refused' }),
      ok: host([0]),
    });
    const plan = planGrants([
      job('stuck', { at: 1, on: [['p', 1], ['d', 1], ['u', 1]] }),
      job('moves-on', { at: 2, on: [['p', 1], ['d', 1], ['u', 1], ['ok', 1]] }),
    ], slots);
    expect(granted(plan)).toEqual(['moves-on→ok[0]']);
    expect(plan.waiting.get('stuck')).toEqual({
      position: 1, reason: 'p is paused; d is drained; u is down (unreachable since 2026-01-01T00:00:00.000Z: connection refused)',
    });
  });

  it('sends a host no job of a model type it is not ready for, saying what is missing, and still sends it the others', () => {
    const slots = hosts({
      a: host([0, 1], [], { notReady: { host: null, models: { transfer: 'image cosmos-transfer1:test: No such image (needed by transfer)' } } }),
      b: host([0]),
    });
    const plan = planGrants([
      job('t1', { at: 1, model: 'transfer', on: [['a', 1], ['b', 1]] }),
      job('t2', { at: 2, model: 'transfer', on: [['a', 1], ['b', 1]] }),
      job('u1', { at: 3, model: 'upscale', on: [['a', 1], ['b', 1]] }),
    ], slots);
    expect(granted(plan)).toEqual(['t1→b[0]', 'u1→a[0]']);
    expect(plan.waiting.get('t2')?.reason).toBe('b: 0 of 1 GPUs free, needs 1');
    const only = planGrants([job('pinned', { model: 'transfer', on: [['a', 1]] })], slots);
    expect(only.grants).toEqual([]);
    expect(only.waiting.get('pinned')?.reason).toBe('a is not ready (image cosmos-transfer1:test: No such image (needed by transfer); `cosmos doctor` says what to do)');
  });

  it('sends a host not ready as a whole (Docker down, disk full) nothing at all', () => {
    const slots = hosts({ a: host([0], [], { notReady: { host: 'docker: the Docker daemon is not running', models: {} } }) });
    const plan = planGrants([job('t', { model: 'transfer' }), job('u', { at: 1, model: 'upscale' })], slots);
    expect(plan.grants).toEqual([]);
    expect(plan.waiting.get('u')?.reason).toBe('a is not ready (docker: the Docker daemon is not running; `cosmos doctor` says what to do)');
  });

  it('says so when a job has no host it can use at all', () => {
    const plan = planGrants([job('elsewhere', { on: [['gone', 1]] }), job('none', { at: 1, on: [] })], hosts({ a: host([0]) }));
    expect(plan.grants).toEqual([]);
    expect(plan.waiting.get('elsewhere')?.reason).toBe('gone is not configured on the scheduling worker');
    expect(plan.waiting.get('none')?.reason).toBe('no host serves it');
  });

  it('leaves a device held by a process that is not ours alone and names it in the reason', () => {
    const plan = planGrants([job('first', { at: 1 }), job('second', { at: 2 })],
      hosts({ a: host([0, 1], [], { blocked: new Map([[0, 'held by pid 4242 (python, 30000 MiB)']]) }) }));
    expect(granted(plan)).toEqual(['first→a[1]']);
    expect(plan.waiting.get('second')).toEqual({ position: 1, reason: 'a: 0 of 2 GPUs free, needs 1 (GPU 0 held by pid 4242 (python, 30000 MiB))' });
  });

  it('numbers only the jobs that keep waiting, in queue order, and describes each candidate', () => {
    const plan = planGrants([
      job('j1', { at: 1, on: [['a', 1], ['b', 1]] }),
      job('j2', { at: 2, on: [['a', 1], ['b', 1]] }),
      job('j3', { at: 3, on: [['a', 1], ['b', 1]] }),
      job('j4', { priority: -1, at: 0, on: [['a', 1]] }),
    ], hosts({ a: host([0]), b: host([0, 1], [1]) }));
    expect(granted(plan)).toEqual(['j1→a[0]', 'j2→b[0]']);
    expect(plan.waiting.get('j3')).toEqual({ position: 1, reason: 'a: 0 of 1 GPUs free, needs 1; b: 0 of 2 GPUs free, needs 1' });
    expect(plan.waiting.get('j4')).toEqual({ position: 2, reason: 'a: held for a job ahead in the queue' });
  });
});
