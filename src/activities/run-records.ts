import { existsSync } from 'node:fs';
import { setBatchStatus, settleBatchStatus } from '../db/queries/batches.js';
import { addRunEvent, completeRun, failRun, insertRunIfAbsent, markRunRunning, updateRunProgress } from '../db/queries/runs.js';
import type { FailureKind, RunOutputs, RunStatus } from '../db/schema.js';
import { localRunDir, type ActivityDeps } from './deps.js';

export interface UploadStats { bytesSent: number; filesSent: number; filesReused: number }

export interface FollowUpRun {
  id: string;
  promptId: string;
  modelType: string;
  executionConfig: Record<string, unknown>;
  parentRunId?: string;
  workflowId: string;
  gpuHost: string;
}

export function createRunRecordActivities(deps: ActivityDeps) {
  return {
    async markRunsStarted(input: { runIds: string[]; workflowId: string; host: string; batchId?: string }): Promise<void> {
      if (input.batchId) await setBatchStatus(deps.db, input.batchId, 'running');
      for (const runId of input.runIds) {
        await markRunRunning(deps.db, runId, { workflowId: input.workflowId, gpuHost: input.host, stage: 'uploading' });
        await addRunEvent(deps.db, { runId, stage: 'uploading', progress: 0, message: `started on ${input.host}${input.batchId ? ` in batch ${input.batchId}` : ''}` });
      }
    },

    /** Waiting for a GPU slot on the host; the container activity moves them on when a slot frees up. */
    async markRunsQueued(input: { runIds: string[] }): Promise<void> {
      for (const runId of input.runIds) await updateRunProgress(deps.db, runId, 'queued', 0.05);
    },

    async recordRunCompleted(input: { runId: string; outputs: RunOutputs }): Promise<void> {
      await completeRun(deps.db, input.runId, input.outputs);
      await addRunEvent(deps.db, { runId: input.runId, stage: 'completed', progress: 1, message: 'completed' });
    },

    async recordRunFailed(input: { runId: string; kind: FailureKind; message: string }): Promise<void> {
      const runDir = localRunDir(deps, input.runId);
      const logPath = `${runDir}/run.log`;
      // The log of a failed job is what the user reads first, so it stays linked from the run.
      const outputs: RunOutputs | undefined = existsSync(logPath) ? { runDir, files: [], logPath } : undefined;
      await failRun(deps.db, input.runId, { kind: input.kind, message: input.message, ...(outputs ? { outputs } : {}) });
      await addRunEvent(deps.db, { runId: input.runId, stage: input.kind === 'cancelled' ? 'cancelled' : 'failed', progress: 0, message: input.message.split('\n')[0] ?? input.kind });
    },

    /** The next run of a pipeline; its id comes from the workflow, so a retried insert finds the row it made. */
    async createFollowUpRun(input: FollowUpRun): Promise<void> {
      await insertRunIfAbsent(deps.db, { ...input, status: 'pending' });
    },

    async settleBatch(input: { batchId: string }): Promise<RunStatus> {
      return settleBatchStatus(deps.db, input.batchId);
    },
  };
}
