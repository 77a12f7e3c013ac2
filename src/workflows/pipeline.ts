import {
  ActivityFailure, ApplicationFailure, CancellationScope, isCancellation, setCurrentDetails, TimeoutFailure, upsertSearchAttributes,
} from '@temporalio/workflow';
import type { FailureKind } from '../db/schema.js';
import { hostActivities, records } from './activity-proxies.js';
import { showProgressInDetails } from './progress.js';
import { CosmosStatus } from './search-attributes.js';
import { jobFailureKinds, type PipelineTimeouts } from './types.js';

/**
 * The runs a workflow has not settled yet; the job working on them now (its place in the GPU queue or its lease)
 * and its container; the host it was leased (or the pinned one).
 */
export interface OpenWork {
  pinnedHost: string | undefined;
  host: string | null;
  timeouts: PipelineTimeouts;
  runIds: Set<string>;
  jobKey: string | null;
  containerName: string | null;
  describe(text: string): void;
}

export function openWork(pinnedHost: string | undefined, timeouts: PipelineTimeouts, runIds: string[], describe: (text: string) => void): OpenWork {
  return { pinnedHost, host: pinnedHost ?? null, timeouts, runIds: new Set(runIds), jobKey: null, containerName: null, describe };
}

/**
 * Runs the workflow's steps and maps what goes wrong, once, for single runs, pipelines and batches alike: a failure
 * marks every open run failed with its kind (later steps never start); a user's cancel stops the container that is
 * working and marks the open runs cancelled. `settle` runs last either way (a batch's status).
 */
export async function driveRuns<T>(work: OpenWork, steps: () => Promise<T>, settle: () => Promise<string | null> = async () => null): Promise<T> {
  showProgressInDetails(() => work.host ?? 'the GPU queue');
  try {
    upsertSearchAttributes([{ key: CosmosStatus, value: 'running' }]);
    const result = await steps();
    const status = (await settle()) ?? 'completed';
    upsertSearchAttributes([{ key: CosmosStatus, value: status }]);
    work.describe(status);
    return result;
  } catch (error) {
    if (isCancellation(error)) {
      await CancellationScope.nonCancellable(async () => {
        if (work.containerName && work.host) await hostActivities(work.host, work.timeouts).control.stopJobContainer({ host: work.host, containerName: work.containerName });
        // Only once its container has stopped may the job's devices go to another.
        if (work.jobKey) await records.releaseGpuSlot({ jobKey: work.jobKey });
        for (const runId of work.runIds) await records.recordRunFailed({ runId, kind: 'cancelled', message: 'cancelled by the user' });
        await settle();
        upsertSearchAttributes([{ key: CosmosStatus, value: 'cancelled' }]);
        work.describe('cancelled');
      });
      throw error;
    }
    const { kind, message } = describeFailure(error);
    if (work.jobKey) await records.releaseGpuSlot({ jobKey: work.jobKey });
    for (const runId of work.runIds) await records.recordRunFailed({ runId, kind, message });
    await settle();
    upsertSearchAttributes([{ key: CosmosStatus, value: 'failed' }]);
    work.describe(`failed: ${kind}`);
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

export const showDetails = (text: string, subject: string, host: string | null) => setCurrentDetails(`**${text}** · ${subject}${host ? ` on \`${host}\`` : ''}`);
