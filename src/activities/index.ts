import { createDownloadActivities } from './download-outputs.js';
import { asActivity } from './map-errors.js';
import { createContainerActivities } from './run-container.js';
import { createRunRecordActivities } from './run-records.js';
import { createUploadActivities } from './upload-inputs.js';
import type { ActivityDeps } from './deps.js';

export type { ActivityDeps, GpuHost } from './deps.js';
export type { UploadStats } from './run-records.js';
export type { ContainerResult } from './run-container.js';
export type { JobRef } from './job-context.js';

export function createActivities(deps: ActivityDeps) {
  const activities = {
    ...createRunRecordActivities(deps),
    ...createUploadActivities(deps),
    ...createContainerActivities(deps),
    ...createDownloadActivities(deps),
  };
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [name, asActivity(fn as (...args: unknown[]) => Promise<unknown>, { hostOutageMs: deps.hostOutageMs })]),
  ) as typeof activities;
}

export type Activities = ReturnType<typeof createActivities>;
