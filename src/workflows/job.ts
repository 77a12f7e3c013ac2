import { ActivityFailure, ApplicationFailure, upsertSearchAttributes, type ActivityOptions } from '@temporalio/workflow';
import type { JobRef, UploadStats } from '../activities/index.js';
import type { RunOutputs } from '../db/schema.js';
import { hostActivities, records, slotActivities } from './activity-proxies.js';
import type { OpenWork } from './pipeline.js';
import { CosmosGpuHost } from './search-attributes.js';

/** A call-site label for the Web UI timeline; every other option comes from the proxy. */
const summary = (text: string) => ({ summary: text }) as ActivityOptions;

export interface JobOutcome { completed: Map<string, RunOutputs>; failed: Map<string, { kind: string; message: string }> }

/**
 * Runs N runs of one model type through the same steps (a single run is a job of one): wait in the GPU queue for a
 * lease on any host that serves the model (or the pinned one) → upload (the runs start running) → start or attach
 * the container and follow it (its exit frees the lease) → download and verify what finished (those runs complete). Each run is settled as it ends. When a guardrail block stopped the container at an item, the items after it run in a new container;
 * any other failure would hit them too, so they are reported, not retried blindly.
 */
export async function runJob(work: OpenWork, modelType: string, runIds: string[], keyOf: (segment: number) => string, batchId?: string): Promise<JobOutcome> {
  const slots = slotActivities(work.timeouts);
  const outcome: JobOutcome = { completed: new Map(), failed: new Map() };
  const fail = async (runId: string, kind: string, message: string) => {
    await records.recordRunFailed({ runId, kind: kind as never, message });
    outcome.failed.set(runId, { kind, message });
    work.runIds.delete(runId);
  };
  let remaining = [...runIds];
  for (let segment = 0; remaining.length > 0; segment += 1) {
    const jobKey = keyOf(segment);
    const label = runIds.length > 1 ? `container ${segment + 1}: ` : '';
    work.jobKey = jobKey;
    work.describe(`${label}queued for a GPU`);
    // A host that stops answering before the job's container starts loses the job to another host that serves it.
    // The upload checks the lease against the host beside its cache lookup; after one bad lease the wait checks them.
    let leased: { job: Required<JobRef>; upload: UploadStats } | null = null;
    let checkLease = false;
    while (!leased) {
      const lease = await slots.acquireGpuSlot.executeWithOptions(summary(`wait for a GPU slot for ${jobKey}`), [
        { jobKey, modelType, runIds: remaining, ...(work.pinnedHost ? { pinnedHost: work.pinnedHost } : {}), ...(checkLease ? { checkLease } : {}) }]);
      work.host = lease.host;
      upsertSearchAttributes([{ key: CosmosGpuHost, value: lease.host }]);
      const job = { jobKey, modelType, runIds: remaining, host: lease.host, devices: lease.devices };
      const { io } = hostActivities(job.host, work.timeouts);
      work.containerName = `cosmos-${modelType}-${jobKey}`;
      work.describe(`${label}uploading ${remaining.length > 1 ? `${remaining.length} items` : 'inputs'} (GPU ${job.devices.join(', ')})`);
      try {
        const upload = await io.uploadJobInputs.executeWithOptions(summary(`upload inputs of ${jobKey} to ${job.host}`), [
          { ...job, ...(lease.movable ? { movable: true } : {}), ...(lease.checked ? {} : { checkLease: true }), ...(batchId ? { batchId } : {}) }]);
        leased = { job, upload };
      } catch (error) {
        const cause = error instanceof ActivityFailure ? error.cause : null;
        if (cause instanceof ApplicationFailure && cause.type === 'gpu_lease_rejected') {
          work.describe(`${label}${cause.message}: back in the GPU queue`);
          work.containerName = null;
          checkLease = true;
          continue;
        }
        if (!lease.movable || !(cause instanceof ApplicationFailure) || cause.type !== 'gpu_host_unreachable' || !cause.nonRetryable) throw error;
        work.describe(`${label}${lease.host} stopped answering before the job started: back in the GPU queue`);
        await records.moveGpuJob.executeWithOptions(summary(`move ${jobKey} off ${lease.host}`), [{ jobKey, host: lease.host, reason: cause.message }]);
        work.containerName = null;
      }
    }
    const { job, upload } = leased;
    const { io, gpu } = hostActivities(job.host, work.timeouts);
    work.describe(`${label}generating on GPU ${job.devices.join(', ')}`);
    const result = await gpu.runJobContainer.executeWithOptions(summary(`${modelType} container for ${job.jobKey} on ${job.host}`), [job]);
    // The container has exited and released its lease; a failure path releases it in driveRuns.
    work.jobKey = null;
    const completed = result.outcomes.filter((o) => o.status === 'completed').map((o) => o.runId);
    if (completed.length > 0) {
      work.describe(`${label}downloading ${completed.length > 1 ? `${completed.length} items` : 'outputs'}`);
      const outputs = await io.downloadJobOutputs.executeWithOptions(summary(`download and verify outputs of ${job.jobKey}`), [{ ...job, completed, upload }]);
      for (const [i, runId] of completed.entries()) {
        outcome.completed.set(runId, outputs[i]!);
        work.runIds.delete(runId);
      }
    }
    const failures = result.outcomes.filter((o) => o.status === 'failed');
    for (const o of failures) if (o.status === 'failed') await fail(o.runId, o.failure.kind, o.failure.message);
    const notRun = result.outcomes.filter((o) => o.status === 'not_run').map((o) => o.runId);
    const stopper = failures.at(-1);
    if (notRun.length > 0 && stopper?.status === 'failed' && stopper.failure.kind !== 'guardrail_blocked') {
      for (const runId of notRun) await fail(runId, stopper.failure.kind, `not run: the container stopped at an earlier item (${stopper.failure.kind})`);
      break;
    }
    if (notRun.length > 0 && !stopper) {
      for (const runId of notRun) await fail(runId, 'internal', 'the container ended without running this item and without a failure');
      break;
    }
    remaining = notRun;
  }
  work.containerName = null;
  return outcome;
}
