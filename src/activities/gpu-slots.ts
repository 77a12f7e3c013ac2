import { ApplicationFailure, Context } from '@temporalio/activity';
import { enqueueGpuJob, findGpuJob, markHostUnreachable, releaseGpuJob, requeueGpuJob } from '../db/queries/gpu-queue.js';
import { addRunEvent, markRunQueued } from '../db/queries/runs.js';
import { hostServes } from '../models/index.js';
import { checkLease } from './check-lease.js';
import { type ActivityDeps } from './deps.js';
import { loadJob } from './job-context.js';
import { createProgressReporter } from './progress-reporter.js';
import type { SchedulerHub } from './scheduler-hub.js';

export interface SlotRequest {
  jobKey: string; modelType: string; runIds: string[]; /** `--host`: only this host. */ pinnedHost?: string;
  /** Check each lease against the host before returning it (after the upload found one bad); else the upload checks it. */
  checkLease?: boolean;
}
/**
 * Devices on a host; `movable`: another host could serve the job too (it is not pinned), so it may move before it
 * starts; `checked`: already checked against the host (else the upload checks it while it looks up the inputs in the
 * host's cache, before it sends a byte).
 */
export interface GpuLease { host: string; devices: number[]; movable?: boolean; checked?: boolean }

/**
 * How often a waiting job tells its workflow its place: every 5 s among the first ten, then 5 s more per ten places
 * ahead of it, at most every minute: for 200 waiting jobs about 7 signals a second by this rule, where one every 5 s
 * each came to 40.
 */
export function positionSignalEveryMs(position: number): number {
  return Math.min(60_000, 5_000 * Math.max(1, Math.ceil(position / 10)));
}

export function createGpuSlotActivities(deps: ActivityDeps, hub: SchedulerHub) {
  return {
    /**
     * Puts the job in the one GPU queue every worker shares and waits, heartbeating its place, until a scheduling
     * pass leases it devices on a host that can serve it. The lease is checked against the host itself (containers
     * we did not lease, compute processes that are not ours) before it is used: by the upload, beside its cache lookup
     * and before any byte is sent, so a freed slot is taken again sooner; here when `checkLease` asks (after the upload found a lease bad). A bad
     * one is given back and the job waits again in the same place. Idempotent: a retry finds the job's row, waiting or leased.
     */
    async acquireGpuSlot(request: SlotRequest): Promise<GpuLease> {
      // The hub calls back from its own loop, outside this activity's async context: heartbeat through ours.
      const context = Context.current();
      const workflowId = context.info.workflowExecution?.workflowId;
      let row = await findGpuJob(deps.db, request.jobKey);
      if (!row) {
        const candidates = await candidateHosts(deps, request);
        row = await enqueueGpuJob(deps.db, { ...request, candidates, ...(workflowId ? { workflowId } : {}) });
      }
      // Also on a retry that found the row (the attempt that enqueued it may have died before this); idempotent.
      if (!row.host) {
        for (const runId of request.runIds) {
          await markRunQueued(deps.db, runId, workflowId ? { workflowId } : {});
          await addRunEvent(deps.db, { runId, stage: 'queued', progress: 0, message: `waiting for a GPU slot (${row.candidates.map((c) => c.host).join(' or ')})` });
        }
      }
      const report = createProgressReporter(deps);
      let signalled = { at: 0, position: 0 };
      for (;;) {
        const leased = row?.host ? row : await hub.waitForGrant(request.jobKey, (waiting, place) => {
          context.heartbeat({ phase: 'queued', position: place?.position ?? null, waitingFor: place?.reason ?? waiting.waitingFor });
          // The place moves with every grant ahead of it: tell the workflow (Web UI details) when it moved, less often
          // the further back it is (every signal is a workflow task; `cosmos queue` reads places from the database).
          if (place && place.position !== signalled.position && Date.now() - signalled.at >= positionSignalEveryMs(place.position)) {
            signalled = { at: Date.now(), position: place.position };
            for (const runId of request.runIds) void report(runId, `queued #${place.position}`, 0);
          }
        }, context.cancellationSignal);
        if (!leased?.host || !leased.devices) throw ApplicationFailure.nonRetryable(`job ${request.jobKey} left the GPU queue while it waited`, 'internal');
        const { host, devices } = leased;
        if (!request.checkLease) return { host, devices, movable: leased.candidates.length > 1 };
        const problem = await checkLease(deps, request, host, devices, () => context.heartbeat({ phase: 'checking the lease', host, devices }));
        if (problem === null) return { host, devices, movable: leased.candidates.length > 1, checked: true };
        // An attempt Temporal has given up on (its retry may already use this lease) must not give the lease back.
        if (context.cancellationSignal.aborted) throw context.cancellationSignal.reason ?? new Error('the attempt was cancelled');
        await requeueGpuJob(deps.db, request.jobKey, problem);
        context.heartbeat({ phase: 'queued', waitingFor: problem });
        row = undefined;
      }
    },

    /**
     * Gives back the lease of a job whose host stopped answering before its container was started: the host is
     * marked unreachable (no new work goes there until it answers) and the job waits again in its place, for any
     * host that serves it. Idempotent.
     */
    async moveGpuJob(input: { jobKey: string; host: string; reason: string }): Promise<void> {
      await markHostUnreachable(deps.db, input.host, input.reason);
      const row = await findGpuJob(deps.db, input.jobKey);
      if (row?.host === input.host) await requeueGpuJob(deps.db, input.jobKey, `${input.host} stopped answering before the job started: ${input.reason}`);
      hub.wake();
    },

    /** Frees the job's devices for the next job (idempotent); after its container exited, or when its workflow gave up. */
    async releaseGpuSlot(input: { jobKey: string }): Promise<void> {
      if (await releaseGpuJob(deps.db, input.jobKey)) hub.wake();
    },
  };
}

/** Hosts of this worker's configuration that serve the model, each with the GPUs the model's plan takes there. */
async function candidateHosts(deps: ActivityDeps, request: SlotRequest): Promise<Array<{ host: string; gpus: number }>> {
  const candidates: Array<{ host: string; gpus: number }> = [];
  for (const [name, host] of deps.hosts) {
    if (request.pinnedHost !== undefined && name !== request.pinnedHost) continue;
    if (!hostServes(host.config, request.modelType)) continue;
    const { plan } = await loadJob(deps, { ...request, host: name });
    if (plan.gpus <= host.config.gpus.length) candidates.push({ host: name, gpus: plan.gpus });
  }
  if (candidates.length === 0) {
    const where = request.pinnedHost ? `GPU host ${request.pinnedHost}` : 'no configured GPU host';
    throw ApplicationFailure.nonRetryable(`${where} ${request.pinnedHost ? 'does not serve' : 'serves'} ${request.modelType} (see [hosts.models] in cosmos.toml)`, 'bad_input');
  }
  return candidates;
}
