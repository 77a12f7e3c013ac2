import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/client.js';
import { summarizeRuns } from '../../src/db/queries/analytics.js';
import { deleteRecords } from '../../src/db/queries/maintenance.js';
import { completeRun, failRun, markRunRunning } from '../../src/db/queries/runs.js';
import { openMigratedDb } from '../helpers/migrated-db.js';
import { seedPrompt, seedRun } from '../helpers/seed-records.js';

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY);

/** The aggregates straight from runs, as analytics computed them before the rollups. */
async function aggregateRuns(db: Db, since: Date) {
  const from = since.toISOString();
  const byModel = await db.execute<Record<string, unknown>>(sql`
    select model_type, count(*)::int as total, (count(*) filter (where status = 'completed'))::int as completed,
      (count(*) filter (where status = 'failed'))::int as failed, (count(*) filter (where status = 'cancelled'))::int as cancelled,
      avg(extract(epoch from completed_at - started_at)) filter (where status = 'completed') as mean,
      percentile_cont(0.5) within group (order by extract(epoch from completed_at - started_at)) filter (where status = 'completed') as median
    from runs where created_at >= ${from} group by 1 order by 1`);
  const perDay = await db.execute<Record<string, unknown>>(sql`
    select to_char(date_trunc('day', created_at at time zone 'UTC'), 'YYYY-MM-DD') as day, count(*)::int as total,
      (count(*) filter (where status = 'completed'))::int as completed, (count(*) filter (where status = 'failed'))::int as failed
    from runs where created_at >= ${from} group by 1 order by 1`);
  const busy = await db.execute<Record<string, unknown>>(sql`
    select coalesce(gpu_host, '(none)') as host, sum(extract(epoch from coalesce(completed_at, now()) - started_at)) as seconds
    from runs where created_at >= ${from} and started_at is not null group by 1 order by 1`);
  const kinds = await db.execute<Record<string, unknown>>(sql`
    select failure_kind as kind, count(*)::int as count from runs where created_at >= ${from} and failure_kind is not null group by 1 order by 2 desc, 1`);
  return {
    byModelType: byModel.map((r) => ({
      modelType: r.model_type, total: r.total, completed: r.completed, failed: r.failed, cancelled: r.cancelled,
      meanSeconds: r.mean === null ? null : Number(r.mean), medianSeconds: r.median === null ? null : Number(r.median),
    })),
    runsPerDay: perDay.map((r) => ({ ...r })),
    busySecondsByHost: busy.map((r) => ({ host: r.host, seconds: Number(r.seconds) })),
    failureKinds: kinds.map((r) => ({ ...r })),
  };
}

describe('analytics kept in daily rollups', () => {
  let db: Db;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ db, close } = await openMigratedDb());
    const prompt = await seedPrompt(db);
    const at = (days: number, minutes: number) => new Date(ago(days).getTime() + minutes * 60_000);
    // Finished rows inserted as they are, then runs moved through their states by the real transitions.
    for (const [i, days] of [40, 31, 29.5, 10, 10, 3, 1.2, 0.5, 0.01].entries()) {
      const startedAt = at(days, 1);
      await seedRun(db, prompt.id, { createdAt: at(days, 0), status: 'completed', startedAt, completedAt: at(days, 3 + i), gpuHost: i % 2 ? 'a' : 'b', modelType: i % 3 ? 'transfer' : 'upscale' });
    }
    await seedRun(db, prompt.id, { createdAt: at(20, 0), status: 'failed', startedAt: at(20, 1), completedAt: at(20, 2), gpuHost: 'a', failureKind: 'out_of_memory', errorMessage: 'oom' });
    await seedRun(db, prompt.id, { createdAt: at(5, 0), status: 'cancelled', completedAt: at(5, 1), failureKind: 'cancelled', errorMessage: 'cancelled' });
    const moving = await Promise.all([2, 2, 0.2, 0.1].map((days) => seedRun(db, prompt.id, { createdAt: at(days, 0), gpuHost: 'c' })));
    for (const run of moving) await markRunRunning(db, run.id, { stage: 'generating', gpuHost: 'c' });
    await completeRun(db, moving[0]!.id, { files: [], runDir: '/nowhere' });
    await failRun(db, moving[1]!.id, { kind: 'timeout', message: 'silent log' });
    await failRun(db, moving[2]!.id, { kind: 'cancelled', message: 'cancelled' });
    const doomed = await seedRun(db, prompt.id, { createdAt: at(4, 0), status: 'failed', startedAt: at(4, 1), completedAt: at(4, 9), gpuHost: 'a', failureKind: 'guardrail_blocked', errorMessage: 'blocked' });
    await deleteRecords(db, { runIds: [doomed.id], promptIds: [] });
    await db.execute(sql`update runs set gpu_host = 'd' where gpu_host = 'b' and created_at < ${ago(30).toISOString()}`);
  });
  afterAll(() => close?.());

  it.each([45, 30, 7, 1])('matches the aggregates over runs themselves for the last %i days after inserts, transitions, updates and deletes', async (days) => {
    const since = ago(days);
    const [summary, expected] = await Promise.all([summarizeRuns(db, since), aggregateRuns(db, since)]);
    expect(summary.byModelType.map(({ successRate: _rate, ...rest }) => rest)).toEqual(expected.byModelType.map((m) => ({
      ...m, meanSeconds: m.meanSeconds === null ? null : expect.closeTo(m.meanSeconds, 6),
    })));
    expect(summary.runsPerDay).toEqual(expected.runsPerDay);
    expect(summary.failureKinds).toEqual(expected.failureKinds);
    // The one run still open is counted up to now(), which moves between the two reads.
    expect(summary.busySecondsByHost.map((h) => h.host)).toEqual(expected.busySecondsByHost.map((h) => h.host));
    summary.busySecondsByHost.forEach((h, i) => expect(Math.abs(h.seconds - expected.busySecondsByHost[i]!.seconds)).toBeLessThan(2));
  });

  it('leaves nothing counted in the rollups for a run that moved to another host', async () => {
    const [orphans] = await db.execute<{ n: number }>(sql`select count(*)::int as n from run_daily_host_seconds where host = 'b' and day < ${ago(30).toISOString()}::date and seconds <> 0`);
    expect(orphans!.n).toBe(0);
  });
});
