import { mkdir, writeFile } from 'node:fs/promises';
import { activityInfo } from '@temporalio/activity';
import { setBatchStatus } from '../db/queries/batches.js';
import { addRunEvent, markRunRunning, updateRunProgress } from '../db/queries/runs.js';
import { localRunDir, type ActivityDeps } from './deps.js';
import { loadJob, type JobRef } from './job-context.js';
import { keepHeartbeating } from './keep-heartbeating.js';
import { stageInputs } from './stage-inputs.js';
import type { UploadStats } from './run-records.js';

export function createUploadActivities(deps: ActivityDeps) {
  return {
    /** Content-addressed upload of the job's inputs plus its specs; re-running a prompt sends no video bytes. */
    uploadJobInputs: (ref: JobRef & { batchId?: string; /** Another host could take the job (see asActivity). */ movable?: boolean }): Promise<UploadStats> => keepHeartbeating({ phase: 'uploading' }, async () => {
      const { host, layout, plan } = await loadJob(deps, ref);
      await markRunsStarted(deps, ref);
      let lastReport = 0;
      const stats = await stageInputs(host, layout.abs.inputsDir, plan.inputs, (done, total) => {
        if (Date.now() - lastReport < 1000) return;
        lastReport = Date.now();
        for (const runId of ref.runIds) void updateRunProgress(deps.db, runId, 'uploading', (0.05 * done) / Math.max(total, 1)).catch(() => {});
      });
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
      return stats;
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
