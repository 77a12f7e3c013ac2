import { Hono } from 'hono';
import { summarizeRuns } from '../../../db/queries/analytics.js';
import type { ClientDeps } from '../../runs.js';
import { analyticsQuery } from '../schemas.js';
import { readListQuery } from '../read-list-query.js';

const DAY_MS = 86_400_000;

export function analyticsRoutes(deps: ClientDeps): Hono {
  const app = new Hono();
  const gpusPerJob = new Map(deps.config.hosts.map((host) => [host.name, host.gpus_per_job]));

  app.get('/', async (c) => {
    const { days } = readListQuery(c, analyticsQuery);
    const summary = await summarizeRuns(deps.db, new Date(Date.now() - days * DAY_MS));
    // A job holds gpus_per_job GPUs of its host for its whole wall-clock time.
    const gpuHoursByHost = summary.busySecondsByHost.map(({ host, seconds }) => ({
      host, gpuHours: (seconds * (gpusPerJob.get(host) ?? 1)) / 3600,
    }));
    return c.json({
      days,
      since: summary.since,
      byModelType: summary.byModelType,
      runsPerDay: summary.runsPerDay,
      gpuHours: gpuHoursByHost.reduce((sum, h) => sum + h.gpuHours, 0),
      gpuHoursByHost,
      failureKinds: summary.failureKinds,
    });
  });

  return app;
}
