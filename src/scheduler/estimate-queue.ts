import { compareQueueOrder } from './plan-grants.js';

/** What makes two jobs take about as long: the model, how many runs share the container, their input frames, steps. */
export interface JobShape {
  modelType: string;
  items: number;
  /** Input video frames over all items (the chunks a model samples follow from them); null when unknown. */
  frames: number | null;
  /** `num_steps` when the model has one and every item uses the same; null otherwise. */
  steps: number | null;
}

/** One finished container: how long it ran, from its start to its exit (or its run's completion). */
export interface DurationSample extends JobShape { gpus: number | null; seconds: number }

export interface DurationEstimate { seconds: number; samples: number; basis: string }

export interface QueueHost {
  name: string;
  devices: number[];
  /** False when paused, drained or down: no new lease goes there. */
  usable: boolean;
  /** Model types it is not ready for (their jobs do not go there until it is). */
  notReadyFor?: ReadonlySet<string>;
  /** Devices left alone until a time (ms), e.g. held by a process that is not ours. */
  blockedUntil?: ReadonlyMap<number, number>;
}

export interface LeasedJob extends JobShape {
  jobKey: string;
  host: string;
  devices: number[];
  leasedAt: number;
  /** When its container was started (null: still uploading). */
  containerStartedAt: number | null;
}

export interface QueuedJob extends JobShape {
  jobKey: string;
  priority: number;
  enqueuedAt: number;
  candidates: Array<{ host: string; gpus: number }>;
}

export interface QueueEstimateInput {
  now: number;
  /** The whole queue is paused: nothing waiting starts until it is resumed. */
  paused: boolean;
  hosts: QueueHost[];
  leased: LeasedJob[];
  waiting: QueuedJob[];
  samples: DurationSample[];
}

export interface RunningEstimate { jobKey: string; duration: DurationEstimate | null; remainingSeconds: number | null; endsAt: number | null }
export interface WaitingEstimate { jobKey: string; position: number; duration: DurationEstimate | null; host: string | null; startsAt: number | null }

/** A tier is taken when it holds this many samples; else the most specific tier with any. */
const enoughSamples = 3;

/**
 * The median container time of finished jobs like this one: same model type, GPUs, items, frames and steps when
 * there are enough such samples, else the closest broader match (same GPUs and items, same GPUs, the model type).
 */
export function estimateDuration(samples: readonly DurationSample[], shape: JobShape, gpus: number): DurationEstimate | null {
  const own = samples.filter((s) => s.modelType === shape.modelType);
  const tiers: Array<{ basis: string; match(s: DurationSample): boolean }> = [
    { basis: `${gpus} GPU(s), ${shape.items} item(s), ${shape.frames ?? '?'} frames, ${shape.steps ?? '?'} steps`,
      match: (s) => s.gpus === gpus && s.items === shape.items && s.frames === shape.frames && s.steps === shape.steps },
    { basis: `${gpus} GPU(s), ${shape.items} item(s)`, match: (s) => s.gpus === gpus && s.items === shape.items },
    { basis: `${gpus} GPU(s)`, match: (s) => s.gpus === gpus },
    { basis: 'any size', match: () => true },
  ];
  const matches = tiers.map((tier) => ({ basis: tier.basis, seconds: own.filter(tier.match).map((s) => s.seconds) }));
  const pick = matches.find((m) => m.seconds.length >= enoughSamples) ?? matches.find((m) => m.seconds.length > 0);
  if (!pick) return null;
  return { seconds: median(pick.seconds), samples: pick.seconds.length, basis: `median of ${pick.seconds.length} finished ${shape.modelType} job(s) with ${pick.basis}` };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Remaining time of each leased job (its estimate less the time its container has run, never below 0) and, for
 * the waiting jobs in queue order, when each would start: every device is free at the estimated end of the job
 * holding it (now if none, the end of a block), and each waiting job takes the earliest time that enough devices
 * are free on one of its usable candidate hosts, holding them for its own estimate. A job behind one whose length
 * is unknown, on the same devices, gets no estimate; nothing starts while the queue is paused.
 */
export function estimateQueue(input: QueueEstimateInput): { running: RunningEstimate[]; waiting: WaitingEstimate[] } {
  const { now } = input;
  const freeAt = new Map(input.hosts.map((host) => [host.name, new Map(host.devices.map((d) => [d, Math.max(now, host.blockedUntil?.get(d) ?? now)]))]));
  const running = input.leased.map((job): RunningEstimate => {
    const duration = estimateDuration(input.samples, job, job.devices.length);
    const ran = job.containerStartedAt !== null ? Math.max(0, now - job.containerStartedAt) / 1000 : 0;
    const remainingSeconds = duration ? Math.max(0, duration.seconds - ran) : null;
    const endsAt = remainingSeconds === null ? null : now + remainingSeconds * 1000;
    const devices = freeAt.get(job.host);
    for (const d of job.devices) if (devices?.has(d)) devices.set(d, endsAt ?? Number.POSITIVE_INFINITY);
    return { jobKey: job.jobKey, duration, remainingSeconds, endsAt };
  });
  const usableHosts = new Set(input.hosts.filter((h) => h.usable).map((h) => h.name));
  const notReady = new Map(input.hosts.map((h) => [h.name, h.notReadyFor]));
  const waiting = [...input.waiting].sort(compareQueueOrder).map((job, i): WaitingEstimate => {
    const place = { jobKey: job.jobKey, position: i + 1 };
    const usable = { has: (host: string) => usableHosts.has(host) && !notReady.get(host)?.has(job.modelType) };
    let best: { host: string; gpus: number; at: number; devices: number[] } | null = null;
    for (const c of job.candidates) {
      const devices = freeAt.get(c.host);
      if (input.paused || !usable.has(c.host) || !devices || devices.size < c.gpus) continue;
      const earliest = [...devices].sort((a, b) => a[1] - b[1] || a[0] - b[0]).slice(0, c.gpus);
      const at = earliest.at(-1)?.[1] ?? now;
      if (Number.isFinite(at) && (!best || at < best.at)) best = { host: c.host, gpus: c.gpus, at, devices: earliest.map(([d]) => d) };
    }
    const firstFit = job.candidates.find((c) => usable.has(c.host)) ?? job.candidates[0];
    const duration = estimateDuration(input.samples, job, best?.gpus ?? firstFit?.gpus ?? 1);
    if (!best) return { ...place, duration, host: null, startsAt: null };
    const until = duration ? best.at + duration.seconds * 1000 : Number.POSITIVE_INFINITY;
    for (const d of best.devices) freeAt.get(best.host)!.set(d, until);
    return { ...place, duration, host: best.host, startsAt: best.at };
  });
  return { running, waiting };
}
