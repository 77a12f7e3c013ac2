import { activityInfo } from '@temporalio/activity';
import type { ActivityDeps } from './deps.js';

/** Tells the workflow (for the Web UI) when a run's stage changes or its percent moves by 5 points; best effort. */
export function createProgressReporter(deps: ActivityDeps) {
  const workflowId = activityInfo().workflowExecution?.workflowId ?? '';
  const last = new Map<string, { stage: string; progress: number }>();
  return async (runId: string, stage: string, progress: number): Promise<void> => {
    const previous = last.get(runId);
    if (!deps.reportProgress || !workflowId || (previous && previous.stage === stage && progress - previous.progress < 0.05)) return;
    last.set(runId, { stage, progress });
    // Not awaited: while Temporal is unreachable the client retries the signal for a while, and the log must keep flowing.
    void deps.reportProgress(workflowId, { runId, stage, progress }).catch(() => {});
  };
}
