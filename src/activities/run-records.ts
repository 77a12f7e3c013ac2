import { existsSync } from 'node:fs';
import { addRunEvent, completeRun, failRun, markRunRunning } from '../db/queries/runs.js';
import type { FailureKind, RunOutputs } from '../db/schema.js';
import { localRunDir, type ActivityDeps } from './deps.js';

export interface UploadStats { bytesSent: number; filesSent: number; filesReused: number }

export function createRunRecordActivities(deps: ActivityDeps) {
  return {
    async markRunStarted(input: { runId: string; workflowId: string; host: string }): Promise<void> {
      await markRunRunning(deps.db, input.runId, { workflowId: input.workflowId, gpuHost: input.host, stage: 'uploading' });
      await addRunEvent(deps.db, { runId: input.runId, stage: 'uploading', progress: 0, message: `started on ${input.host}` });
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
  };
}
