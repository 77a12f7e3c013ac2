import type { HostNotReady } from '../db/schema.js';

/** A job waiting for GPUs, as the scheduler sees it. */
export interface WaitingJob {
  jobKey: string;
  /** Its model type, for hosts ready for some model types only. */
  modelType?: string;
  priority: number;
  enqueuedAt: number;
  /** Hosts that can serve it, in configuration order, with the GPUs it takes on each. */
  candidates: Array<{ host: string; gpus: number }>;
}

/** What a host offers right now: its configured devices, which are leased, and what operators or probes said. */
export interface HostSlots {
  devices: number[];
  leased: ReadonlySet<number>;
  paused?: boolean;
  drained?: boolean;
  /** Why no work goes there now (unreachable since…), or null. */
  down?: string | null;
  /** What the readiness checks found that stops work there, for the whole host or some model types. */
  notReady?: HostNotReady | null;
  /** Devices to leave alone (a process that is not ours), with the reason. */
  blocked?: ReadonlyMap<number, string>;
}

export interface Grant { jobKey: string; host: string; devices: number[] }

export interface GrantPlan {
  grants: Grant[];
  /** Every job that stays waiting: why, and its place in the queue (1 is next). */
  waiting: Map<string, { position: number; reason: string }>;
}

/** Queue order: higher priority first, then submission order (the key breaks ties the same way everywhere). */
export function compareQueueOrder(a: WaitingJob, b: WaitingJob): number {
  return b.priority - a.priority || a.enqueuedAt - b.enqueuedAt || (a.jobKey < b.jobKey ? -1 : a.jobKey > b.jobKey ? 1 : 0);
}

/**
 * One scheduling pass: jobs in queue order each take the first candidate host with enough free devices. A job
 * that finds none reserves the candidate where it is closest to fitting, so smaller jobs behind it cannot keep
 * taking the devices it waits for (no starvation of a 2-GPU job by a stream of 1-GPU jobs); they may still use
 * other hosts. A paused queue grants nothing.
 */
export function planGrants(jobs: readonly WaitingJob[], hosts: ReadonlyMap<string, HostSlots>, options: { paused?: boolean } = {}): GrantPlan {
  const free = new Map([...hosts].map(([name, h]) => [name, h.devices.filter((d) => !h.leased.has(d) && !h.blocked?.has(d))]));
  const reserved = new Set<string>();
  const plan: GrantPlan = { grants: [], waiting: new Map() };
  let position = 0;
  for (const job of [...jobs].sort(compareQueueOrder)) {
    const wait = (reason: string) => plan.waiting.set(job.jobKey, { position: ++position, reason });
    if (options.paused) { wait('the queue is paused'); continue; }
    const usable = job.candidates.filter((c) => {
      const host = hosts.get(c.host);
      return host && !host.paused && !host.drained && !host.down && notReadyFor(host, job.modelType) === null;
    });
    if (usable.length === 0) { wait(job.candidates.map((c) => `${c.host} ${unusableReason(hosts.get(c.host), job.modelType)}`).join('; ') || 'no host serves it'); continue; }
    const pick = usable.find((c) => !reserved.has(c.host) && (free.get(c.host)?.length ?? 0) >= c.gpus);
    if (pick) {
      const devices = free.get(pick.host)!.slice(0, pick.gpus);
      free.set(pick.host, free.get(pick.host)!.filter((d) => !devices.includes(d)));
      plan.grants.push({ jobKey: job.jobKey, host: pick.host, devices });
      continue;
    }
    const open = usable.filter((c) => !reserved.has(c.host));
    const closest = open.reduce<(typeof open)[number] | undefined>((best, c) => (!best || shortfall(free, c) < shortfall(free, best) ? c : best), undefined);
    if (closest) reserved.add(closest.host);
    wait(usable.map((c) => describeWait(hosts.get(c.host)!, free.get(c.host) ?? [], c, reserved.has(c.host) && c !== closest)).join('; '));
  }
  return plan;
}

const shortfall = (free: Map<string, number[]>, c: { host: string; gpus: number }) => c.gpus - (free.get(c.host)?.length ?? 0);

/** Why the host is not ready for the model type, or null when it is. */
export function notReadyFor(host: HostSlots, modelType: string | undefined): string | null {
  if (!host.notReady) return null;
  return host.notReady.host ?? (modelType !== undefined ? host.notReady.models[modelType] ?? null : null);
}

function unusableReason(host: HostSlots | undefined, modelType: string | undefined): string {
  if (!host) return 'is not configured on the scheduling worker';
  if (host.down) return `is down (${host.down})`;
  const notReady = notReadyFor(host, modelType);
  if (notReady) return `is not ready (${notReady}; \`cosmos doctor\` says what to do)`;
  if (host.drained) return 'is drained';
  if (host.paused) return 'is paused';
  return 'is usable';
}

function describeWait(host: HostSlots, free: number[], c: { host: string; gpus: number }, heldForEarlier: boolean): string {
  if (heldForEarlier) return `${c.host}: held for a job ahead in the queue`;
  const blocked = [...(host.blocked ?? new Map())].map(([device, reason]) => `GPU ${device} ${reason}`);
  return `${c.host}: ${free.length} of ${host.devices.length} GPUs free, needs ${c.gpus}${blocked.length ? ` (${blocked.join(', ')})` : ''}`;
}
