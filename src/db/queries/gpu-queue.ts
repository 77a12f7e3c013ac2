import { and, asc, desc, eq, inArray, isNotNull, isNull, sql } from 'drizzle-orm';
import { planGrants, type Grant, type HostSlots } from '../../scheduler/plan-grants.js';
import type { Db } from '../client.js';
import { gpuHostControls, gpuJobs, gpuLeasedDevices, openRunStatuses, runs, type GpuHostControl, type GpuJob, type HostNotReady } from '../schema.js';

/** The whole queue under one name: every scheduling pass of every worker process takes it for its transaction. */
const schedulerLock = 7_270_001;
/** The `gpu_host_controls` row that holds the pause of the whole queue. */
export const allHosts = '*';

export interface NewGpuJob { jobKey: string; modelType: string; runIds: string[]; workflowId?: string; candidates: Array<{ host: string; gpus: number }> }

/**
 * Puts a job in the queue (idempotent: a retried enqueue keeps its place); its priority is its runs' highest, its
 * place in a priority the submission of its earliest run: runs submitted one after the other are enqueued by their
 * workflows in whatever order those get to run, so the time of the enqueue itself is not the submission order.
 */
export async function enqueueGpuJob(db: Db, job: NewGpuJob): Promise<GpuJob> {
  const [top] = await db.select({ priority: sql<number>`coalesce(max(${runs.priority}), 0)::int` }).from(runs).where(inArray(runs.id, job.runIds));
  const submittedAt = sql`(select coalesce(min(${runs.createdAt}), now()) from ${runs} where ${inArray(runs.id, job.runIds)})`;
  await db.insert(gpuJobs).values({ ...job, priority: top?.priority ?? 0, enqueuedAt: submittedAt }).onConflictDoNothing({ target: gpuJobs.jobKey });
  return (await findGpuJob(db, job.jobKey))!;
}

export async function findGpuJob(db: Db, jobKey: string): Promise<GpuJob | undefined> {
  const [row] = await db.select().from(gpuJobs).where(eq(gpuJobs.jobKey, jobKey));
  return row;
}

export async function findGpuJobs(db: Db, jobKeys: string[]): Promise<GpuJob[]> {
  if (jobKeys.length === 0) return [];
  return db.select().from(gpuJobs).where(inArray(gpuJobs.jobKey, jobKeys));
}

/** Ends a job's lease (or its wait): its devices are free for the next pass. Idempotent. */
export async function releaseGpuJob(db: Db, jobKey: string): Promise<boolean> {
  const gone = await db.delete(gpuJobs).where(eq(gpuJobs.jobKey, jobKey)).returning({ jobKey: gpuJobs.jobKey });
  return gone.length > 0;
}

/** Gives a granted slot back and waits again in the same place (the slot turned out unusable). */
export async function requeueGpuJob(db: Db, jobKey: string, reason: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.delete(gpuLeasedDevices).where(eq(gpuLeasedDevices.jobKey, jobKey));
    await tx.update(gpuJobs).set({ host: null, devices: null, leasedAt: null, waitingFor: reason }).where(eq(gpuJobs.jobKey, jobKey));
  });
}

/**
 * One scheduling pass over the whole queue, serialised across every process by a transaction-scoped advisory lock:
 * drops jobs none of whose runs is still open (a workflow terminated without releasing), grants what fits, and
 * writes each waiting job's reason. `hosts` is the scheduling worker's configuration: device lists by host name.
 */
export type QueuePlaces = Record<string, { position: number; reason: string }>;

export async function runSchedulingPass(db: Db, hosts: ReadonlyMap<string, number[]>, now = Date.now()): Promise<{ grants: Grant[]; places: QueuePlaces }> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${schedulerLock})`);
    await tx.execute(sql`delete from ${gpuJobs} j where not exists (
      select 1 from ${runs} r where r.id in (select jsonb_array_elements_text(j.run_ids)) and r.status in ${sql.raw(`(${openRunStatuses.map((s) => `'${s}'`).join(', ')})`)})`);
    const waiting = await tx.select().from(gpuJobs).where(isNull(gpuJobs.host)).orderBy(desc(gpuJobs.priority), asc(gpuJobs.enqueuedAt));
    if (waiting.length === 0) return { grants: [], places: {} };
    const leased = await tx.select().from(gpuLeasedDevices);
    const controls = new Map((await tx.select().from(gpuHostControls)).map((c) => [c.host, c]));
    const slots = new Map<string, HostSlots>([...hosts].map(([name, devices]) => [name, hostSlots(devices, leased.filter((l) => l.host === name).map((l) => l.device), controls.get(name), now)]));
    const plan = planGrants(waiting.map((j) => ({ jobKey: j.jobKey, modelType: j.modelType, priority: j.priority, enqueuedAt: j.enqueuedAt.getTime(), candidates: j.candidates })), slots,
      { paused: controls.get(allHosts)?.paused ?? false });
    for (const grant of plan.grants) {
      await tx.insert(gpuLeasedDevices).values(grant.devices.map((device) => ({ host: grant.host, device, jobKey: grant.jobKey })));
      await tx.update(gpuJobs).set({ host: grant.host, devices: grant.devices, leasedAt: sql`now()`, waitingFor: null }).where(eq(gpuJobs.jobKey, grant.jobKey));
    }
    for (const job of waiting) {
      const reason = plan.waiting.get(job.jobKey)?.reason;
      if (reason !== undefined && reason !== job.waitingFor) await tx.update(gpuJobs).set({ waitingFor: reason }).where(eq(gpuJobs.jobKey, job.jobKey));
    }
    return { grants: plan.grants, places: Object.fromEntries(plan.waiting) };
  });
}

function hostSlots(devices: number[], leased: number[], control: GpuHostControl | undefined, now: number): HostSlots {
  const blocked = new Map((control?.blocked ?? []).filter((b) => b.until > now).map((b) => [b.device, b.reason]));
  const down = control?.unreachableSince ? `unreachable since ${control.unreachableSince.toISOString()}: ${control.unreachableError ?? 'no answer'}` : null;
  return { devices, leased: new Set(leased), paused: control?.paused ?? false, drained: control?.drained ?? false, down, notReady: control?.notReady ?? null, blocked };
}

export async function listGpuJobs(db: Db): Promise<GpuJob[]> {
  return db.select().from(gpuJobs).orderBy(desc(gpuJobs.priority), asc(gpuJobs.enqueuedAt), asc(gpuJobs.jobKey));
}

export async function listHostControls(db: Db): Promise<GpuHostControl[]> {
  return db.select().from(gpuHostControls);
}

export type HostControlChange = Partial<Pick<GpuHostControl, 'paused' | 'drained' | 'unreachableSince' | 'unreachableError' | 'blocked'>>;

export async function setHostControl(db: Db, host: string, change: HostControlChange): Promise<void> {
  await db.insert(gpuHostControls).values({ host, ...change })
    .onConflictDoUpdate({ target: gpuHostControls.host, set: { ...change, updatedAt: sql`now()` } });
}

/** Leaves a device alone for a while (a compute process that is not ours holds it), keeping other notes. */
export async function blockDevice(db: Db, host: string, device: number, untilMs: number, reason: string): Promise<void> {
  await db.transaction(async (tx) => {
    const [row] = await tx.select().from(gpuHostControls).where(eq(gpuHostControls.host, host)).for('update');
    const blocked = [...(row?.blocked ?? []).filter((b) => b.device !== device && b.until > Date.now()), { device, until: untilMs, reason }];
    await tx.insert(gpuHostControls).values({ host, blocked }).onConflictDoUpdate({ target: gpuHostControls.host, set: { blocked, updatedAt: sql`now()` } });
  });
}

/** Hosts marked unreachable, to probe again. */
export async function listDownHosts(db: Db): Promise<string[]> {
  const rows = await db.select({ host: gpuHostControls.host }).from(gpuHostControls).where(isNotNull(gpuHostControls.unreachableSince));
  return rows.map((r) => r.host);
}

export async function markHostReachable(db: Db, host: string): Promise<void> {
  await db.update(gpuHostControls).set({ unreachableSince: null, unreachableError: null, updatedAt: sql`now()` })
    .where(and(eq(gpuHostControls.host, host), isNotNull(gpuHostControls.unreachableSince)));
}

export async function markHostUnreachable(db: Db, host: string, error: string): Promise<void> {
  await db.insert(gpuHostControls).values({ host, unreachableSince: sql`now()` as never, unreachableError: error })
    .onConflictDoUpdate({ target: gpuHostControls.host, set: { unreachableSince: sql`coalesce(${gpuHostControls.unreachableSince}, now())`, unreachableError: error, updatedAt: sql`now()` } });
}

/** The readiness checks' latest word on a host (null: nothing stops work there); whether it changed. */
export async function recordHostReadiness(db: Db, host: string, notReady: HostNotReady | null): Promise<boolean> {
  const [before] = await db.select({ notReady: gpuHostControls.notReady }).from(gpuHostControls).where(eq(gpuHostControls.host, host));
  await db.insert(gpuHostControls).values({ host, notReady, readinessCheckedAt: sql`now()` as never })
    .onConflictDoUpdate({ target: gpuHostControls.host, set: { notReady, readinessCheckedAt: sql`now()`, updatedAt: sql`now()` } });
  return JSON.stringify(before?.notReady ?? null) !== JSON.stringify(notReady);
}
