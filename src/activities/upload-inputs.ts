import { mkdir, writeFile } from 'node:fs/promises';
import { activityInfo, ApplicationFailure, cancellationSignal } from '@temporalio/activity';
import { setBatchStatus } from '../db/queries/batches.js';
import { requeueGpuJob } from '../db/queries/gpu-queue.js';
import { addRunEvent, markRunRunning, updateRunProgress } from '../db/queries/runs.js';
import { runWithAbortSignal } from '../gpu/abort-scope.js';
import { checkLease } from './check-lease.js';
import { localRunDir, type ActivityDeps } from './deps.js';
import { loadJob, type JobRef } from './job-context.js';
import { keepHeartbeating } from './keep-heartbeating.js';
import { stageInputs } from './stage-inputs.js';
import type { UploadStats } from './run-records.js';

export interface UploadRef extends JobRef {
  batchId?: string;
  /** Another host could take the job (see asActivity). */
  movable?: boolean;
  /** The lease was not checked against the host yet (see acquireGpuSlot). */
  checkLease?: boolean;
}

export function createUploadActivities(deps: ActivityDeps) {
  return {
    /**
     * Content-addressed upload of the job's inputs plus its specs; re-running a prompt sends no video bytes. With
     * `checkLease` the job's lease is checked against the host while the cache is looked at (no byte is sent before
     * it passed); a bad lease goes back to the GPU queue and fails the attempt as `gpu_lease_rejected` (the runs stay
     * queued).
     */
    uploadJobInputs: (ref: UploadRef): Promise<UploadStats> => keepHeartbeating({ phase: 'uploading' }, async () => {
      const { host, layout, plan } = await loadJob(deps, ref);
      // The lease check, then the runs are marked started; the inputs go out beside it, but no byte before it passed.
      const cleared = (async () => {
        const problem = ref.checkLease ? await checkLease(deps, ref, ref.host, ref.devices ?? []) : null;
        if (problem === null) await markRunsStarted(deps, ref);
        return problem;
      })();
      cleared.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
      let lastReport = 0;
      const staging = new AbortController();
      const signal = AbortSignal.any([cancellationSignal(), staging.signal]);
      const stats = runWithAbortSignal(signal, () => stageInputs(host, layout.abs.inputsDir, plan.inputs, {
        signal,
        beforeUpload: async () => {
          if ((await cleared) !== null) throw new Error('the lease was given back');
        },
        onProgress: (done, total) => {
          if (Date.now() - lastReport < 1000) return;
          lastReport = Date.now();
          for (const runId of ref.runIds) void updateRunProgress(deps.db, runId, 'uploading', (0.05 * done) / Math.max(total, 1)).catch(() => {});
        },
      }));
      stats.catch(() => undefined);
      const problem = await cleared.catch((error: unknown) => error as Error);
      if (problem !== null) {
        staging.abort(new Error('the lease was given back'));
        await stats.catch(() => undefined);
        if (problem instanceof Error) throw problem;
        // An attempt Temporal has given up on (its retry may already use this lease) must not give the lease back.
        if (cancellationSignal().aborted) throw cancellationSignal().reason ?? new Error('the attempt was cancelled');
        await requeueGpuJob(deps.db, ref.jobKey, problem);
        throw ApplicationFailure.nonRetryable(`lease given back: ${problem}`, 'gpu_lease_rejected');
      }
      const sent = await stats;
      await host.transport.mkdirp(layout.abs.outputsDir);
      // Prompt text travels only inside these files, never on a command line.
      for (const [name, content] of Object.entries(plan.texts)) await host.transport.writeFile(`${layout.abs.inputsDir}/${name}`, content);
      for (const item of plan.items) {
        const runDir = localRunDir(deps, item.runId);
        await mkdir(runDir, { recursive: true });
        for (const [name, content] of Object.entries(item.localTexts)) await writeFile(`${runDir}/${name}`, content);
        await addRunEvent(deps.db, { runId: item.runId, stage: 'uploading', progress: 0.05, message: 'inputs staged on the GPU host' });
        // Waiting for a GPU slot on the host now; the container activity moves it on when a slot frees up.
        await updateRunProgress(deps.db, item.runId, 'queued', 0.05);
      }
      return sent;
    }),
  };
}

/** The runs are running from here, driven by this workflow on this host (a batch too). Idempotent. */
async function markRunsStarted(deps: ActivityDeps, ref: JobRef & { batchId?: string }): Promise<void> {
  if (ref.batchId) await setBatchStatus(deps.db, ref.batchId, 'running');
  const workflowId = activityInfo().workflowExecution?.workflowId;
  for (const runId of ref.runIds) {
    await markRunRunning(deps.db, runId, { ...(workflowId ? { workflowId } : {}), gpuHost: ref.host, stage: 'uploading' });
    await addRunEvent(deps.db, { runId, stage: 'uploading', progress: 0, message: `started on ${ref.host}${ref.batchId ? ` in batch ${ref.batchId}` : ''}` });
  }
}
