import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy, type Client } from '@temporalio/client';
import type { Config } from '../config.js';
import { CosmosGpuHost, CosmosModelType, CosmosPromptId, CosmosRunId, CosmosStatus } from '../workflows/search-attributes.js';

export interface WorkflowStart {
  workflowType: string;
  workflowId: string;
  input: unknown;
  runId: string;
  promptId: string;
  modelType: string;
  /** A pinned host; otherwise the workflow sets the attribute when a host takes the job. */
  host?: string;
  summary: string;
  details?: string;
}

/** Every pipeline starts the same way: idempotent by business id, with the search attributes the Web UI filters on. */
export async function startWorkflow(temporal: Client, config: Config, start: WorkflowStart): Promise<void> {
  await temporal.workflow.start(start.workflowType, {
    workflowId: start.workflowId,
    taskQueue: config.temporal.task_queue,
    args: [start.input],
    // A repeated start of the same business id returns the running execution instead of a second one.
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    typedSearchAttributes: [
      { key: CosmosRunId, value: start.runId },
      { key: CosmosPromptId, value: start.promptId },
      { key: CosmosModelType, value: start.modelType },
      { key: CosmosStatus, value: 'pending' },
      ...(start.host ? [{ key: CosmosGpuHost, value: start.host }] : []),
    ],
    staticSummary: start.summary,
    ...(start.details ? { staticDetails: start.details } : {}),
  });
}
