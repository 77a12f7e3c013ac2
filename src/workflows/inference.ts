import {
  ActivityFailure, ApplicationFailure, CancellationScope, TimeoutFailure, isCancellation, proxyActivities, setCurrentDetails,
  upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { CosmosStatus } from './search-attributes.js';
import { gpuTaskQueue, jobFailureKinds, type InferenceInput, type InferenceResult } from './types.js';

const records = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

function hostActivities(input: InferenceInput) {
  const { heartbeat, job, retryInitial, retryMaximum } = input.timeouts;
  const retry = { initialInterval: retryInitial, maximumInterval: retryMaximum, nonRetryableErrorTypes: [...jobFailureKinds] };
  const taskQueue = gpuTaskQueue(input.host);
  return {
    transfers: proxyActivities<Activities>({
      taskQueue, startToCloseTimeout: '2 hours', heartbeatTimeout: heartbeat, retry: { ...retry, maximumAttempts: 30 },
    }),
    // One attempt must outlive the longest job; the heartbeat timeout is what notices a dead worker.
    container: proxyActivities<Activities>({
      taskQueue, startToCloseTimeout: job, scheduleToCloseTimeout: job, heartbeatTimeout: heartbeat, retry,
    }),
  };
}

/** One transfer run: upload inputs → start or attach the container → follow it → download and verify → done. */
export async function inference(input: InferenceInput): Promise<InferenceResult> {
  const { runId, host } = input;
  const { transfers, container } = hostActivities(input);
  const step = (text: string) => setCurrentDetails(`**${text}** · run \`${runId}\` on \`${host}\``);
  try {
    upsertSearchAttributes([{ key: CosmosStatus, value: 'running' }]);
    await records.markRunStarted({ runId, host, workflowId: workflowInfo().workflowId });
    step('uploading inputs');
    const upload = await transfers.uploadRunInputs({ runId, host });
    step('generating');
    await container.runContainer({ runId, host });
    step('downloading outputs');
    const outputs = await transfers.downloadRunOutputs({ runId, host });
    await records.recordRunCompleted({ runId, outputs: { ...outputs, upload } });
    upsertSearchAttributes([{ key: CosmosStatus, value: 'completed' }]);
    step('completed');
    return { runId, outputDir: outputs.runDir, video: `${outputs.runDir}/output.mp4` };
  } catch (error) {
    if (isCancellation(error)) {
      await CancellationScope.nonCancellable(async () => {
        await transfers.stopRunContainer({ runId, host, modelType: 'transfer' });
        await records.recordRunFailed({ runId, kind: 'cancelled', message: 'cancelled by the user' });
        upsertSearchAttributes([{ key: CosmosStatus, value: 'cancelled' }]);
        step('cancelled');
      });
      throw error;
    }
    const { kind, message } = describeFailure(error);
    await records.recordRunFailed({ runId, kind, message });
    upsertSearchAttributes([{ key: CosmosStatus, value: 'failed' }]);
    step(`failed: ${kind}`);
    throw ApplicationFailure.nonRetryable(message, kind);
  }
}

const failureKinds = new Set<string>([...jobFailureKinds, 'gpu_host_unreachable', 'internal']);

function describeFailure(error: unknown): { kind: typeof jobFailureKinds[number] | 'gpu_host_unreachable' | 'internal'; message: string } {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (cause instanceof ApplicationFailure && cause.type && failureKinds.has(cause.type)) {
    return { kind: cause.type as never, message: cause.message };
  }
  if (error instanceof ActivityFailure && cause instanceof TimeoutFailure) {
    return { kind: 'timeout', message: `${error.activityType ?? 'activity'} timed out (${cause.timeoutType}): ${cause.message}` };
  }
  return { kind: 'internal', message: (cause as Error | undefined)?.message ?? String(error) };
}
