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
const DAY_MS = 86_400_000;

/** How many of the newest completed runs of a model type the median is taken over; all of them up to this. */
export const medianSampleSize = 10_000;

/**
 * Aggregates over runs created since `since`; durations are started_at → completed_at of completed runs.
 * Whole UTC days come from the daily rollups (kept by a trigger on runs), the part of the first day after
 * `since` and the seconds of runs still open from runs itself, so the cost follows days and hosts, not runs.
 * The median is exact over the newest `medianSampleSize` completed runs of each model type in the window.
 */
export async function summarizeRuns(db: Db, since: Date): Promise<RunAnalytics> {
  const from = since.toISOString();
  const wholeDays = new Date(Math.ceil(since.getTime() / DAY_MS) * DAY_MS);
  const until = wholeDays.toISOString();
  const day = until.slice(0, 10);
  const partial = sql`runs where created_at >= ${from} and created_at < ${until}`;
  const seconds = sql`extract(epoch from completed_at - started_at)`;
  const [byModel, perDay, busy, kinds] = await Promise.all([
    db.execute<Record<string, unknown>>(sql`
      with totals as (
        select model_type, sum(runs) as total,
          sum(runs) filter (where status = 'completed') as completed,
          sum(runs) filter (where status = 'failed') as failed,
          sum(runs) filter (where status = 'cancelled') as cancelled,
          sum(timed_runs) as timed_runs, sum(seconds) as seconds
        from (
          select model_type, status, count(*) as runs,
            count(${seconds}) filter (where status = 'completed') as timed_runs,
            coalesce(sum(${seconds}) filter (where status = 'completed'), 0) as seconds
          from ${partial} group by 1, 2
          union all
          select model_type, status, runs, timed_runs, seconds from run_daily_stats where day >= ${day}::date
        ) parts group by model_type having sum(runs) > 0
      )
      select t.*, (
        select percentile_cont(0.5) within group (order by extract(epoch from c.completed_at - c.started_at))
        from (
          select started_at, completed_at from runs
          where status = 'completed' and model_type = t.model_type and created_at >= ${from}
          order by created_at desc limit ${medianSampleSize}
        ) c
      ) as median_seconds
      from totals t order by model_type`),
    db.execute<Record<string, unknown>>(sql`
      select to_char(day, 'YYYY-MM-DD') as day, sum(total) as total, sum(completed) as completed, sum(failed) as failed
      from (
        select (created_at at time zone 'UTC')::date as day, count(*) as total,
          count(*) filter (where status = 'completed') as completed, count(*) filter (where status = 'failed') as failed
        from ${partial} group by 1
        union all
        select day, sum(runs), coalesce(sum(runs) filter (where status = 'completed'), 0), coalesce(sum(runs) filter (where status = 'failed'), 0)
        from run_daily_stats where day >= ${day}::date group by day
      ) parts group by 1 having sum(total) > 0 order by 1`),
    db.execute<Record<string, unknown>>(sql`
      select host, sum(seconds) as seconds
      from (
        select coalesce(gpu_host, '(none)') as host, extract(epoch from coalesce(completed_at, now()) - started_at) as seconds
        from ${partial} and started_at is not null
        union all
        select host, seconds from run_daily_host_seconds where day >= ${day}::date
        union all
        -- Open runs are not in the rollup yet: a run without completed_at is pending or running (a check says so).
        select coalesce(gpu_host, '(none)'), extract(epoch from now() - started_at) from runs
        where status in ('pending', 'queued', 'running') and completed_at is null and started_at is not null and created_at >= ${until}
      ) parts group by 1 order by 1`),
    db.execute<Record<string, unknown>>(sql`
      select kind, sum(count) as count
      from (
        select failure_kind as kind, count(*) as count from ${partial} and failure_kind is not null group by 1
        union all
        select failure_kind, runs from run_daily_failures where day >= ${day}::date
      ) parts group by 1 having sum(count) > 0 order by 2 desc, 1`),
  ]);

  return {
    since,
    byModelType: byModel.map((r) => {
      const completed = Number(r.completed ?? 0);
      const failed = Number(r.failed ?? 0);
      const timed = Number(r.timed_runs ?? 0);
      return {
        modelType: String(r.model_type), total: Number(r.total), completed, failed, cancelled: Number(r.cancelled ?? 0),
        successRate: completed + failed === 0 ? null : completed / (completed + failed),
        meanSeconds: timed === 0 ? null : Number(r.seconds) / timed, medianSeconds: num(r.median_seconds),
      };
    }),
    runsPerDay: perDay.map((r) => ({ day: String(r.day), total: Number(r.total), completed: Number(r.completed), failed: Number(r.failed) })),
    busySecondsByHost: busy.map((r) => ({ host: String(r.host), seconds: Number(r.seconds) })),
    failureKinds: kinds.map((r) => ({ kind: String(r.kind), count: Number(r.count) })),
  };
}
