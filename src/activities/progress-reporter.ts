import { activityInfo } from '@temporalio/activity';
import type { ActivityDeps } from './deps.js';

/**
 * A run's workflow hears of its progress at most this often: each signal is a workflow task (Temporal's history,
 * the worker's replay), and a short job moves through its stages within seconds.
 */
export const progressSignalEveryMs = 2_000;

/**
 * Tells the workflow (for the Web UI) when a run's stage changes or its percent moves by 5 points, at most every two
 * seconds per run; best effort. A change inside the two seconds is dropped, not sent late: the next one carries the
 * news, and when the activity ends the workflow's own next step says where the run is.
 */
export function createProgressReporter(deps: ActivityDeps) {
  const workflowId = activityInfo().workflowExecution?.workflowId ?? '';
  const sent = new Map<string, { stage: string; progress: number; at: number }>();
  return async (runId: string, stage: string, progress: number): Promise<void> => {
    const previous = sent.get(runId);
    if (!deps.reportProgress || !workflowId) return;
    if (previous && ((previous.stage === stage && progress - previous.progress < 0.05) || Date.now() - previous.at < progressSignalEveryMs)) return;
    sent.set(runId, { stage, progress, at: Date.now() });
    // Not awaited: while Temporal is unreachable the client retries the signal for a while, and the log must keep flowing.
    void deps.reportProgress(workflowId, { runId, stage, progress }).catch(() => {});
  };
}
