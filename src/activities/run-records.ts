import { existsSync } from 'node:fs';
import { createEnhancedPrompt } from '../core/create-prompt.js';
import { NotFoundError } from '../core/input-error.js';
import { findPrompt } from '../db/queries/prompts.js';
import { addRunEvent, completeRun, failRun, findRun, insertRunIfAbsent, markRunRunning, updateRunProgress } from '../db/queries/runs.js';
import type { FailureKind, RunOutputs } from '../db/schema.js';
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
    async markRunStarted(input: { runId: string; workflowId: string; host: string }): Promise<void> {
      await markRunRunning(deps.db, input.runId, { workflowId: input.workflowId, gpuHost: input.host, stage: 'uploading' });
      await addRunEvent(deps.db, { runId: input.runId, stage: 'uploading', progress: 0, message: `started on ${input.host}` });
    },

    /** Waiting for a GPU slot on the host; the container activity moves it on when a slot frees up. */
    async markRunQueued(input: { runId: string }): Promise<void> {
      await updateRunProgress(deps.db, input.runId, 'queued', 0.05);
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

    /** Stores the upsampled text as a new prompt `<name>_enhanced` and returns its id (idempotent by content). */
    async recordEnhancedPrompt(input: { runId: string; text: string }): Promise<string> {
      const run = await findRun(deps.db, input.runId);
      const parent = run ? await findPrompt(deps.db, run.promptId) : undefined;
      if (!run || !parent) throw new NotFoundError(`enhance run ${input.runId} or its prompt no longer exists`);
      return (await createEnhancedPrompt(deps.db, parent, input.text)).id;
    },

    /** The next run of a pipeline; its id comes from the workflow, so a retried insert finds the row it made. */
    async createFollowUpRun(input: FollowUpRun): Promise<void> {
      await insertRunIfAbsent(deps.db, { ...input, status: 'pending' });
    },
  };
}
