import { existsSync } from 'node:fs';
import { settleBatchStatus } from '../db/queries/batches.js';
import { addRunEvent, failRun, findPipelinePriority, insertRunIfAbsent } from '../db/queries/runs.js';
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
  gpuHost?: string;
}

export function createRunRecordActivities(deps: ActivityDeps) {
  return {
    async recordRunFailed(input: { runId: string; kind: FailureKind; message: string }): Promise<void> {
      const runDir = localRunDir(deps, input.runId);
      const logPath = `${runDir}/run.log`;
      // The log of a failed job is what the user reads first, so it stays linked from the run.
      const outputs: RunOutputs | undefined = existsSync(logPath) ? { runDir, files: [], logPath } : undefined;
      await failRun(deps.db, input.runId, { kind: input.kind, message: input.message, ...(outputs ? { outputs } : {}) });
      await addRunEvent(deps.db, { runId: input.runId, stage: input.kind === 'cancelled' ? 'cancelled' : 'failed', progress: 0, message: input.message.split('\n')[0] ?? input.kind });
    },

    /**
     * The next run of a pipeline, with the pipeline's priority; its id comes from the workflow, so a retried insert
     * finds the row it made.
     */
    async createFollowUpRun(input: FollowUpRun): Promise<void> {
      await insertRunIfAbsent(deps.db, { ...input, status: 'pending', priority: await findPipelinePriority(deps.db, input.workflowId) });
    },

    async settleBatch(input: { batchId: string }): Promise<RunStatus> {
      return settleBatchStatus(deps.db, input.batchId);
    },
  };
}
