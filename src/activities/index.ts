import { createDownloadActivities } from './download-outputs.js';
import { createGpuSlotActivities } from './gpu-slots.js';
import { asActivity } from './map-errors.js';
import { createContainerActivities } from './run-container.js';
import { createRunRecordActivities } from './run-records.js';
import { createSchedulerHub } from './scheduler-hub.js';
import { createUploadActivities } from './upload-inputs.js';
import type { ActivityDeps } from './deps.js';

export type { ActivityDeps, GpuHost } from './deps.js';
export type { UploadStats } from './run-records.js';
export type { ContainerResult } from './run-container.js';
export type { JobRef } from './job-context.js';
export type { GpuLease, SlotRequest } from './gpu-slots.js';

/** How long an upload waits for a host that stopped answering before its job moves to another host that serves it. */
const defaultHostMoveAfterMs = 30_000;

export function createActivities(deps: ActivityDeps) {
  // One per worker process: the in-process side of the GPU queue, woken when a container here frees its slot.
  const hub = createSchedulerHub(deps);
  const activities = {
    ...createRunRecordActivities(deps),
    ...createGpuSlotActivities(deps, hub),
    ...createUploadActivities(deps),
    ...createContainerActivities(deps, hub.wake),
    ...createDownloadActivities(deps),
  };
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [name, asActivity(fn as (...args: unknown[]) => Promise<unknown>, {
      hostOutageMs: deps.hostOutageMs, ...(name === 'uploadJobInputs' ? { movableOutageMs: deps.hostMoveAfterMs ?? defaultHostMoveAfterMs } : {}),
    })]),
  ) as typeof activities;
}

export type Activities = ReturnType<typeof createActivities>;
