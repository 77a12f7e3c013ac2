import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { gpuTaskQueue, hostIoTaskQueue, jobFailureKinds, type PipelineTimeouts } from './types.js';

/** Database writes: quick, retried until the database answers. */
export const records = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

export function hostActivities(host: string, timeouts: PipelineTimeouts) {
  const retry = { initialInterval: timeouts.retryInitial, maximumInterval: timeouts.retryMaximum, nonRetryableErrorTypes: [...jobFailureKinds] };
  return {
    io: proxyActivities<Activities>({
      taskQueue: hostIoTaskQueue(host), startToCloseTimeout: '2 hours', heartbeatTimeout: timeouts.heartbeat,
      retry: { ...retry, maximumAttempts: 30 },
    }),
    // Stopping a container waits out docker's stop grace period without heartbeating.
    control: proxyActivities<Activities>({ taskQueue: hostIoTaskQueue(host), startToCloseTimeout: '2 minutes', retry }),
    // One attempt must outlive the longest job; the heartbeat timeout is what notices a dead worker.
    gpu: proxyActivities<Activities>({
      taskQueue: gpuTaskQueue(host), startToCloseTimeout: timeouts.job, heartbeatTimeout: timeouts.heartbeat, retry,
    }),
  };
}
