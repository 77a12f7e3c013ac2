import { describe, expect, it } from 'vitest';
import {
  estimateDuration, estimateQueue, median, type DurationSample, type LeasedJob, type QueuedJob, type QueueEstimateInput,
} from '../../src/scheduler/estimate-queue.js';

const now = 1_000_000_000;
const shape = { modelType: 'transfer', items: 1, frames: 121, steps: 35 };
const sample = (seconds: number, fields: Partial<DurationSample> = {}): DurationSample => ({ ...shape, gpus: 1, seconds, ...fields });
const leased = (jobKey: string, devices: number[], fields: Partial<LeasedJob> = {}): LeasedJob => ({
  ...shape, jobKey, host: 'a', devices, leasedAt: now - 60_000, containerStartedAt: now - 50_000, ...fields,
});
const queued = (jobKey: string, enqueuedAt: number, fields: Partial<QueuedJob> = {}): QueuedJob => ({
  ...shape, jobKey, priority: 0, enqueuedAt, candidates: [{ host: 'a', gpus: 1 }], ...fields,
});
const queue = (fields: Partial<QueueEstimateInput>): QueueEstimateInput => ({
  now, paused: false, hosts: [{ name: 'a', devices: [0, 1], usable: true }], leased: [], waiting: [], samples: [sample(100), sample(200), sample(300)], ...fields,
});

describe('estimateDuration', () => {
  it('takes the median of finished jobs of the same model type, GPUs, items, frames and steps', () => {
    const samples = [sample(100), sample(300), sample(200), sample(900, { frames: 242 }), sample(50, { modelType: 'upscale' })];
    expect(estimateDuration(samples, shape, 1)).toEqual({ seconds: 200, samples: 3, basis: 'median of 3 finished transfer job(s) with 1 GPU(s), 1 item(s), 121 frames, 35 steps' });
  });

  it('falls back to a broader match when the exact one has fewer than three samples', () => {
    const samples = [sample(100, { frames: 242 }), sample(300, { frames: 242 }), sample(500, { frames: 60 }), sample(999)];
    expect(estimateDuration(samples, shape, 1)).toMatchObject({ seconds: 400, samples: 4, basis: expect.stringContaining('with 1 GPU(s), 1 item(s)') });
    expect(estimateDuration([sample(80, { gpus: 4 })], shape, 2)).toMatchObject({ seconds: 80, basis: expect.stringContaining('any size') });
  });

  it('knows nothing about a model type with no finished job', () => {
    expect(estimateDuration([sample(100)], { ...shape, modelType: 'enhance' }, 1)).toBeNull();
  });

  it('median of an even count is the mean of the middle two', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});

describe('estimateQueue', () => {
  it('a running job has its estimate less the time its container ran, never below zero', () => {
    const { running } = estimateQueue(queue({ leased: [leased('j1', [0]), leased('j2', [1], { containerStartedAt: now - 500_000 })] }));
    expect(running[0]).toMatchObject({ jobKey: 'j1', remainingSeconds: 150, endsAt: now + 150_000 });
    expect(running[1]).toMatchObject({ jobKey: 'j2', remainingSeconds: 0, endsAt: now });
  });

  it('a job still uploading (no container yet) has its whole estimate ahead of it', () => {
    const { running } = estimateQueue(queue({ leased: [leased('j1', [0], { containerStartedAt: null })] }));
    expect(running[0]!.remainingSeconds).toBe(200);
  });

  it('waiting jobs in queue order take the earliest free slot: free devices now, then as the running jobs end', () => {
    const { waiting } = estimateQueue(queue({
      leased: [leased('run', [0])],
      waiting: [queued('w3', now - 1000), queued('w1', now - 3000), queued('w2', now - 2000)],
    }));
    expect(waiting.map((w) => [w.jobKey, w.position, w.host, w.startsAt])).toEqual([
      ['w1', 1, 'a', now], // device 1 is free
      ['w2', 2, 'a', now + 150_000], // device 0 frees when the running job ends
      ['w3', 3, 'a', now + 200_000], // device 1 again, after w1's 200 s
    ]);
  });

  it('a higher priority goes first whatever its submission time', () => {
    const { waiting } = estimateQueue(queue({
      hosts: [{ name: 'a', devices: [0], usable: true }],
      waiting: [queued('old', now - 9000), queued('urgent', now - 1000, { priority: 10 })],
    }));
    expect(waiting.map((w) => [w.jobKey, w.position, w.startsAt])).toEqual([['urgent', 1, now], ['old', 2, now + 200_000]]);
  });

  it('a job goes to the candidate host that frees first, and a 2-GPU job waits for two devices', () => {
    const { waiting } = estimateQueue(queue({
      hosts: [{ name: 'a', devices: [0, 1], usable: true }, { name: 'b', devices: [0], usable: true }],
      leased: [leased('on-a', [0]), leased('on-b', [0], { host: 'b', containerStartedAt: now - 150_000 })],
      waiting: [
        queued('pair', now - 3000, { candidates: [{ host: 'a', gpus: 2 }] }),
        queued('single', now - 2000, { candidates: [{ host: 'a', gpus: 1 }, { host: 'b', gpus: 1 }] }),
      ],
      samples: [sample(200), sample(200), sample(200), sample(400, { gpus: 2, frames: null }), sample(400, { gpus: 2 }), sample(400, { gpus: 2 })],
    }));
    expect(waiting[0]).toMatchObject({ jobKey: 'pair', host: 'a', startsAt: now + 150_000, duration: { seconds: 400 } });
    expect(waiting[1]).toMatchObject({ jobKey: 'single', host: 'b', startsAt: now + 50_000 });
  });

  it('paused, drained or down hosts and a paused queue give no start time', () => {
    const drained = estimateQueue(queue({ hosts: [{ name: 'a', devices: [0], usable: false }], waiting: [queued('w', now)] }));
    expect(drained.waiting[0]).toMatchObject({ host: null, startsAt: null, duration: { seconds: 200 } });
    const paused = estimateQueue(queue({ paused: true, waiting: [queued('w', now)] }));
    expect(paused.waiting[0]).toMatchObject({ position: 1, startsAt: null });
    const elsewhere = estimateQueue(queue({ waiting: [queued('w', now, { candidates: [{ host: 'gone', gpus: 1 }] })] }));
    expect(elsewhere.waiting[0]!.startsAt).toBeNull();
  });

  it('a host not ready for a job\'s model type gives that job no start time there', () => {
    const input = queue({ hosts: [{ name: 'a', devices: [0], usable: true, notReadyFor: new Set([queued('w', now).modelType]) }], waiting: [queued('w', now)] });
    expect(estimateQueue(input).waiting[0]).toMatchObject({ host: null, startsAt: null });
    const other = queue({ hosts: [{ name: 'a', devices: [0], usable: true, notReadyFor: new Set(['some-other-model']) }], waiting: [queued('w', now)] });
    expect(estimateQueue(other).waiting[0]).toMatchObject({ host: 'a', startsAt: now });
  });

  it('a device blocked by a foreign process frees when its block ends', () => {
    const { waiting } = estimateQueue(queue({
      hosts: [{ name: 'a', devices: [0], usable: true, blockedUntil: new Map([[0, now + 30_000]]) }], waiting: [queued('w', now)],
    }));
    expect(waiting[0]!.startsAt).toBe(now + 30_000);
  });

  it('behind a job of unknown length on the same devices there is no estimate, elsewhere there still is', () => {
    const { running, waiting } = estimateQueue(queue({
      hosts: [{ name: 'a', devices: [0], usable: true }, { name: 'b', devices: [0], usable: true }],
      leased: [leased('mystery', [0], { modelType: 'enhance' })],
      waiting: [queued('stuck', now - 2000), queued('free', now - 1000, { candidates: [{ host: 'a', gpus: 1 }, { host: 'b', gpus: 1 }] })],
    }));
    expect(running[0]).toMatchObject({ duration: null, remainingSeconds: null, endsAt: null });
    expect(waiting[0]).toMatchObject({ jobKey: 'stuck', startsAt: null });
    expect(waiting[1]).toMatchObject({ jobKey: 'free', host: 'b', startsAt: now });
  });
});
