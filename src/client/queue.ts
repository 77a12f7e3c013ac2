import type { Config } from '../config.js';
import { InputError, NotFoundError } from '../core/input-error.js';
import type { Db } from '../db/client.js';
import { allHosts, listHostControls, setHostControl } from '../db/queries/gpu-queue.js';
import { listFinishedContainers, listQueueJobs, type QueuedRunFacts } from '../db/queries/queue-report.js';
import type { GpuJob, HostNotReady } from '../db/schema.js';
import { estimateQueue, type DurationEstimate, type JobShape } from '../scheduler/estimate-queue.js';

/** The queue view and its controls read and write only PostgreSQL. */
export interface QueueDeps { db: Db; config: Config }

interface QueueEntry { jobKey: string; runIds: string[]; modelType: string; priority: number; estimatedSeconds: number | null; estimateBasis: string | null }

export interface WaitingJobReport extends QueueEntry {
  /** 1 is the next job to get a slot. */
  position: number;
  enqueuedAt: string;
  waitedSeconds: number;
  /** Why it has no slot yet, as of the last scheduling pass. */
  waitingFor: string | null;
  candidates: Array<{ host: string; gpus: number }>;
  /** The one host a `--host` run may use. */
  pinnedHost: string | null;
  estimatedHost: string | null;
  estimatedStartAt: string | null;
  estimatedWaitSeconds: number | null;
}

export interface RunningJobReport extends QueueEntry {
  host: string;
  devices: number[];
  leasedAt: string;
  elapsedSeconds: number;
  containerStartedAt: string | null;
  remainingSeconds: number | null;
  estimatedEndAt: string | null;
}

export interface HostQueueState {
  host: string; gpus: number[]; leased: number[]; paused: boolean; drained: boolean; unreachableSince: string | null;
  /** What the readiness checks found that stops work there, for the whole host or per model type; null when ready. */
  notReady: HostNotReady | null;
  blocked: Array<{ device: number; until: string; reason: string }>;
}

export interface QueueReport { generatedAt: string; paused: boolean; hosts: HostQueueState[]; waiting: WaitingJobReport[]; running: RunningJobReport[] }

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const seconds = (ms: number) => Math.max(0, Math.round(ms / 1000));

/** Waiting jobs in queue order with their places and estimated starts, leased jobs with elapsed and remaining time. */
export async function buildQueueReport(deps: QueueDeps, now = Date.now()): Promise<QueueReport> {
  const [jobs, controls] = await Promise.all([listQueueJobs(deps.db), listHostControls(deps.db)]);
  const controlOf = new Map(controls.map((c) => [c.host, c]));
  const gpusPerJob = new Map(deps.config.hosts.map((h) => [h.name, h.gpus_per_job]));
  const finished = await listFinishedContainers(deps.db, [...new Set(jobs.map((j) => j.job.modelType))]);
  const hosts = deps.config.hosts.map((h): HostQueueState => {
    const control = controlOf.get(h.name);
    return {
      host: h.name, gpus: h.gpus, leased: jobs.filter((j) => j.job.host === h.name).flatMap((j) => j.job.devices ?? []).sort((a, b) => a - b),
      paused: control?.paused ?? false, drained: control?.drained ?? false, unreachableSince: control?.unreachableSince?.toISOString() ?? null,
      notReady: control?.notReady ?? null,
      blocked: (control?.blocked ?? []).filter((b) => b.until > now).map((b) => ({ device: b.device, until: new Date(b.until).toISOString(), reason: b.reason })),
    };
  });
  const paused = controlOf.get(allHosts)?.paused ?? false;
  const leased = jobs.filter((j) => j.job.host !== null && j.job.devices !== null && j.job.leasedAt !== null);
  const waiting = jobs.filter((j) => j.job.host === null);
  const estimate = estimateQueue({
    now, paused,
    hosts: hosts.map((h) => ({ name: h.host, devices: h.gpus, usable: !h.paused && !h.drained && h.unreachableSince === null && !h.notReady?.host,
      notReadyFor: new Set(Object.keys(h.notReady?.models ?? {})), blockedUntil: new Map(h.blocked.map((b) => [b.device, Date.parse(b.until)])) })),
    leased: leased.map(({ job, runs }) => ({
      ...shapeOf(job, runs), jobKey: job.jobKey, host: job.host!, devices: job.devices!, leasedAt: job.leasedAt!.getTime(), containerStartedAt: containerStart(job, runs),
    })),
    waiting: waiting.map(({ job, runs }) => ({ ...shapeOf(job, runs), jobKey: job.jobKey, priority: job.priority, enqueuedAt: job.enqueuedAt.getTime(), candidates: job.candidates })),
    samples: finished.map((f) => ({ ...f, gpus: f.host === null ? null : gpusPerJob.get(f.host) ?? null })),
  });
  const byKey = new Map(jobs.map((j) => [j.job.jobKey, j]));
  return {
    generatedAt: new Date(now).toISOString(), paused, hosts,
    waiting: estimate.waiting.map((e): WaitingJobReport => {
      const { job, runs } = byKey.get(e.jobKey)!;
      const only = job.candidates.length === 1 ? job.candidates[0]!.host : null;
      return {
        position: e.position, ...entryOf(job, e.duration), enqueuedAt: job.enqueuedAt.toISOString(), waitedSeconds: seconds(now - job.enqueuedAt.getTime()),
        waitingFor: job.waitingFor, candidates: job.candidates, pinnedHost: only !== null && runs.length > 0 && runs.every((r) => r.gpuHost === only) ? only : null,
        estimatedHost: e.host, estimatedStartAt: iso(e.startsAt), estimatedWaitSeconds: e.startsAt === null ? null : seconds(e.startsAt - now),
      };
    }),
    running: estimate.running.map((e): RunningJobReport => {
      const { job, runs } = byKey.get(e.jobKey)!;
      return {
        ...entryOf(job, e.duration), host: job.host!, devices: job.devices!, leasedAt: job.leasedAt!.toISOString(), elapsedSeconds: seconds(now - job.leasedAt!.getTime()),
        containerStartedAt: iso(containerStart(job, runs)), remainingSeconds: e.remainingSeconds === null ? null : Math.round(e.remainingSeconds), estimatedEndAt: iso(e.endsAt),
      };
    }).sort((a, b) => a.leasedAt.localeCompare(b.leasedAt)),
  };
}

function entryOf(job: GpuJob, duration: DurationEstimate | null): QueueEntry {
  return {
    jobKey: job.jobKey, runIds: job.runIds, modelType: job.modelType, priority: job.priority,
    estimatedSeconds: duration ? Math.round(duration.seconds) : null, estimateBasis: duration?.basis ?? null,
  };
}

function shapeOf(job: GpuJob, runs: QueuedRunFacts[]): JobShape {
  const steps = new Set(runs.map((r) => r.steps));
  const frames = runs.every((r) => r.frames !== null) && runs.length > 0 ? runs.reduce((sum, r) => sum + r.frames!, 0) : null;
  return { modelType: job.modelType, items: job.runIds.length, frames, steps: steps.size === 1 ? [...steps][0]! : null };
}

/** The start of this lease's container: a run's mark from before the lease belongs to an earlier container. */
function containerStart(job: GpuJob, runs: QueuedRunFacts[]): number | null {
  const starts = runs.map((r) => r.containerStartedAt?.getTime() ?? null).filter((t): t is number => t !== null && t >= job.leasedAt!.getTime());
  return starts.length > 0 ? Math.min(...starts) : null;
}

export interface ControlChange {
  /** The host, or `*` for the whole queue. */
  host: string;
  paused: boolean;
  drained: boolean;
  /** False when it already was so. */
  changed: boolean;
  /** Jobs holding GPUs there now (they go on) and jobs waiting for it. */
  running: number;
  waiting: number;
}

/** Pause (no new leases; running jobs go on) or resume the whole queue, or one host. */
export function setQueuePaused(deps: QueueDeps, host: string | undefined, paused: boolean): Promise<ControlChange> {
  return changeControl(deps, host === undefined ? allHosts : requireHost(deps.config, host), { paused });
}

/** Drain (finish what runs there, start nothing new) or undrain a host. */
export function setHostDrained(deps: QueueDeps, host: string, drained: boolean): Promise<ControlChange> {
  return changeControl(deps, requireHost(deps.config, host, NotFoundError), { drained });
}

/** The host named (by a flag or body: an InputError; by a path: NotFoundError, a 404), if configured. */
function requireHost(config: Config, host: string, as: typeof InputError = InputError): string {
  const names = config.hosts.map((h) => h.name);
  if (!names.includes(host)) throw new as(`GPU host "${host}" is not configured (known: ${names.join(', ') || 'none'})`, 'host');
  return host;
}

async function changeControl(deps: QueueDeps, host: string, change: { paused?: boolean; drained?: boolean }): Promise<ControlChange> {
  const before = (await listHostControls(deps.db)).find((c) => c.host === host);
  const was = { paused: before?.paused ?? false, drained: before?.drained ?? false };
  await setHostControl(deps.db, host, change);
  const jobs = (await listQueueJobs(deps.db)).map((j) => j.job);
  const here = (job: GpuJob) => host === allHosts || job.host === host || (job.host === null && job.candidates.some((c) => c.host === host));
  const now = { ...was, ...change };
  return {
    host, ...now, changed: now.paused !== was.paused || now.drained !== was.drained,
    running: jobs.filter((j) => j.host !== null && here(j)).length, waiting: jobs.filter((j) => j.host === null && here(j)).length,
  };
}
