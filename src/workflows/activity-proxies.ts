import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { gpuTaskQueue, hostIoTaskQueue, jobFailureKinds, type PipelineTimeouts } from './types.js';

/** Database writes: seconds each, so a write lost with its worker is retried at once; retried until the database answers. */
export const records = proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '500ms', maximumInterval: '5s' },
});

/** Waiting for a GPU slot: as long as the queue takes; the heartbeat is what notices a dead worker. */
export function slotActivities(timeouts: PipelineTimeouts) {
  return proxyActivities<Activities>({
    startToCloseTimeout: '365 days', heartbeatTimeout: timeouts.heartbeat,
    retry: { initialInterval: timeouts.retryInitial, maximumInterval: timeouts.retryMaximum, nonRetryableErrorTypes: [...jobFailureKinds] },
  });
}

export function hostActivities(host: string, timeouts: PipelineTimeouts) {
  const retry = { initialInterval: timeouts.retryInitial, maximumInterval: timeouts.retryMaximum, nonRetryableErrorTypes: [...jobFailureKinds] };
  return {
    io: proxyActivities<Activities>({
      taskQueue: hostIoTaskQueue(host), startToCloseTimeout: '2 hours', heartbeatTimeout: timeouts.heartbeat,
      retry: { ...retry, maximumAttempts: 10 },
    }),
    // Stopping a container waits out docker's stop grace period without heartbeating.
    control: proxyActivities<Activities>({ taskQueue: hostIoTaskQueue(host), startToCloseTimeout: '2 minutes', retry }),
    // One attempt must outlive the longest job; the heartbeat timeout is what notices a dead worker.
    gpu: proxyActivities<Activities>({
      taskQueue: gpuTaskQueue(host), startToCloseTimeout: timeouts.job, heartbeatTimeout: timeouts.heartbeat,
      // Each attempt already waits out host outages in place; attempts are spent on dead workers, so this is generous.
      retry: { ...retry, maximumAttempts: 25 },
    }),
  };
}
