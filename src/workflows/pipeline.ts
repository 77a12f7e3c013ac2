import {
  ActivityFailure, ApplicationFailure, CancellationScope, isCancellation, TimeoutFailure, upsertSearchAttributes,
} from '@temporalio/workflow';
import type { FailureKind } from '../db/schema.js';
import { hostActivities, records } from './activity-proxies.js';
import { showStep } from './gpu-step.js';
import { showProgressInDetails } from './progress.js';
import { CosmosStatus } from './search-attributes.js';
import { jobFailureKinds, type PipelineInput } from './types.js';

/** The run a pipeline is working on right now; failures and cancels are recorded against it. */
export interface CurrentRun { runId: string; modelType: string }

/**
 * Runs the pipeline's steps and maps what goes wrong, once: a failure marks the current run failed with its
 * kind (later steps never start); a user's cancel stops its container and marks it cancelled.
 */
export async function runPipeline<T>(input: PipelineInput, current: CurrentRun, steps: () => Promise<T>): Promise<T> {
  showProgressInDetails(input.host);
  try {
    upsertSearchAttributes([{ key: CosmosStatus, value: 'running' }]);
    const result = await steps();
    upsertSearchAttributes([{ key: CosmosStatus, value: 'completed' }]);
    showStep({ ...current, host: input.host }, 'completed');
    return result;
  } catch (error) {
    if (isCancellation(error)) {
      await CancellationScope.nonCancellable(async () => {
        await hostActivities(input.host, input.timeouts).control.stopRunContainer({ runId: current.runId, host: input.host, modelType: current.modelType });
        await records.recordRunFailed({ runId: current.runId, kind: 'cancelled', message: 'cancelled by the user' });
        upsertSearchAttributes([{ key: CosmosStatus, value: 'cancelled' }]);
        showStep({ ...current, host: input.host }, 'cancelled');
      });
      throw error;
    }
    const { kind, message } = describeFailure(error);
    await records.recordRunFailed({ runId: current.runId, kind, message });
    upsertSearchAttributes([{ key: CosmosStatus, value: 'failed' }]);
    showStep({ ...current, host: input.host }, `failed: ${kind}`);
    throw ApplicationFailure.nonRetryable(message, kind);
  }
}

const knownKinds = new Set<string>([...jobFailureKinds, 'gpu_host_unreachable', 'internal']);

export function describeFailure(error: unknown): { kind: FailureKind; message: string } {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (cause instanceof ApplicationFailure && cause.type && knownKinds.has(cause.type)) {
    return { kind: cause.type as FailureKind, message: cause.message };
  }
  if (error instanceof ActivityFailure && cause instanceof TimeoutFailure) {
    return { kind: 'timeout', message: `${error.activityType ?? 'activity'} timed out (${cause.timeoutType}): ${cause.message}` };
  }
  return { kind: 'internal', message: (cause as Error | undefined)?.message ?? String(error) };
}
