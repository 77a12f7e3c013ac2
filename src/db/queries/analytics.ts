import { sql } from 'drizzle-orm';
import type { Db } from '../client.js';

export interface ModelTypeStats {
  modelType: string;
  total: number;
  completed: number;
  failed: number;
  cancelled: number;
  /** completed / (completed + failed); cancelled runs say nothing about the model. null when none finished. */
  successRate: number | null;
  meanSeconds: number | null;
  medianSeconds: number | null;
}

export interface RunAnalytics {
  since: Date;
  byModelType: ModelTypeStats[];
  runsPerDay: Array<{ day: string; total: number; completed: number; failed: number }>;
  /** Wall-clock seconds GPU jobs held their host, per host; multiply by GPUs per job for GPU-seconds. */
  busySecondsByHost: Array<{ host: string; seconds: number }>;
  failureKinds: Array<{ kind: string; count: number }>;
}

const num = (value: unknown) => (value === null || value === undefined ? null : Number(value));

/** Aggregates over runs created since `since`; durations are started_at → completed_at of completed runs. */
export async function summarizeRuns(db: Db, since: Date): Promise<RunAnalytics> {
  const from = since.toISOString();
  const byModel = await db.execute<Record<string, unknown>>(sql`
    select model_type,
      count(*) as total,
      count(*) filter (where status = 'completed') as completed,
      count(*) filter (where status = 'failed') as failed,
      count(*) filter (where status = 'cancelled') as cancelled,
      avg(extract(epoch from completed_at - started_at)) filter (where status = 'completed') as mean_seconds,
      percentile_cont(0.5) within group (order by extract(epoch from completed_at - started_at))
        filter (where status = 'completed') as median_seconds
    from runs where created_at >= ${from}
    group by model_type order by model_type`);
  const perDay = await db.execute<Record<string, unknown>>(sql`
    select to_char(date_trunc('day', created_at at time zone 'UTC'), 'YYYY-MM-DD') as day,
      count(*) as total,
      count(*) filter (where status = 'completed') as completed,
      count(*) filter (where status = 'failed') as failed
    from runs where created_at >= ${from}
    group by 1 order by 1`);
  const busy = await db.execute<Record<string, unknown>>(sql`
    select coalesce(gpu_host, '(none)') as host,
      sum(extract(epoch from coalesce(completed_at, now()) - started_at)) as seconds
    from runs where created_at >= ${from} and started_at is not null
    group by 1 order by 1`);
  const kinds = await db.execute<Record<string, unknown>>(sql`
    select failure_kind as kind, count(*) as count
    from runs where created_at >= ${from} and failure_kind is not null
    group by 1 order by 2 desc, 1`);

  return {
    since,
    byModelType: byModel.map((r) => {
      const completed = Number(r.completed);
      const failed = Number(r.failed);
      return {
        modelType: String(r.model_type), total: Number(r.total), completed, failed, cancelled: Number(r.cancelled),
        successRate: completed + failed === 0 ? null : completed / (completed + failed),
        meanSeconds: num(r.mean_seconds), medianSeconds: num(r.median_seconds),
      };
    }),
    runsPerDay: perDay.map((r) => ({ day: String(r.day), total: Number(r.total), completed: Number(r.completed), failed: Number(r.failed) })),
    busySecondsByHost: busy.map((r) => ({ host: String(r.host), seconds: Number(r.seconds) })),
    failureKinds: kinds.map((r) => ({ kind: String(r.kind), count: Number(r.count) })),
  };
}
