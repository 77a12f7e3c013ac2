import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../client.js';
import {
  openRunStatuses, prompts, runEvents, runs, type FailureKind, type Prompt, type NewRun, type Run, type RunEvent, type RunOutputs, type RunStage,
} from '../schema.js';
import { preparedOnce } from './prepared.js';

const openStatuses = openRunStatuses;

export async function insertRun(db: Db, run: NewRun): Promise<Run> {
  const [row] = await db.insert(runs).values(run).returning();
  if (!row) throw new Error(`insert of run ${run.id} returned nothing`);
  return row;
}

export async function insertRunIfAbsent(db: Db, run: NewRun): Promise<void> {
  await db.insert(runs).values(run).onConflictDoNothing({ target: runs.id });
}

/** A run with its prompt in one read (the prompt is absent only if it was deleted under it). */
export async function findRunWithPrompt(db: Db, id: string): Promise<{ run: Run; prompt: Prompt | null } | undefined> {
  const statement = preparedOnce(db, 'findRunWithPrompt', () => db.select({ run: runs, prompt: prompts }).from(runs)
    .leftJoin(prompts, eq(prompts.id, runs.promptId)).where(eq(runs.id, sql.placeholder('id'))).prepare('find_run_with_prompt'));
  const [row] = await statement.execute({ id });
  return row;
}

/** The priority a pipeline was started with (its runs' highest), for the steps it adds later. */
export async function findPipelinePriority(db: Db, workflowId: string): Promise<number> {
  const [row] = await db.select({ priority: sql<number>`coalesce(max(${runs.priority}), 0)::int` }).from(runs).where(eq(runs.workflowId, workflowId));
  return row?.priority ?? 0;
}

export async function findRun(db: Db, id: string): Promise<Run | undefined> {
  const statement = preparedOnce(db, 'findRun', () => db.select().from(runs).where(eq(runs.id, sql.placeholder('id'))).prepare('find_run'));
  const [row] = await statement.execute({ id });
  return row;
}


/** Waiting for a GPU slot (again, for a batch's later container); terminal runs are left alone. */
export async function markRunQueued(db: Db, id: string, fields: { workflowId?: string } = {}): Promise<void> {
  await db.update(runs)
    .set({ ...fields, status: 'queued', stage: 'queued', updatedAt: sql`now()` })
    .where(and(eq(runs.id, id), inArray(runs.status, openStatuses)));
}

/** pending or queued → running (idempotent: a running run just gets the new fields). Terminal runs are left alone. */
export async function markRunRunning(
  db: Db, id: string, fields: { workflowId?: string; gpuHost?: string; containerName?: string; stage: RunStage },
): Promise<Run | undefined> {
  const [row] = await db.update(runs)
    .set({ ...fields, status: 'running', startedAt: sql`coalesce(${runs.startedAt}, now())`, updatedAt: sql`now()` })
    .where(and(eq(runs.id, id), inArray(runs.status, openStatuses)))
    .returning();
  return row ?? findRun(db, id);
}

/** Progress only ever moves forward within a run, so a replayed log cannot move the bar back. */
export async function updateRunProgress(db: Db, id: string, stage: RunStage, progress: number): Promise<void> {
  await db.update(runs)
    .set({ stage, progress: sql`greatest(${runs.progress}, ${progress})`, updatedAt: sql`now()` })
    .where(and(eq(runs.id, id), eq(runs.status, 'running')));
}

/** Transitions are guarded: a terminal run is left as it is, and a deleted run is simply gone (undefined). */
export async function completeRun(db: Db, id: string, outputs: RunOutputs): Promise<Run | undefined> {
  const [row] = await db.update(runs)
    .set({ status: 'completed', stage: null, progress: 1, outputs, completedAt: sql`now()`, updatedAt: sql`now()` })
    .where(and(eq(runs.id, id), inArray(runs.status, openStatuses)))
    .returning();
  return row ?? findRun(db, id);
}

export async function failRun(
  db: Db, id: string, failure: { kind: FailureKind; message: string; outputs?: RunOutputs },
): Promise<Run | undefined> {
  const status = failure.kind === 'cancelled' ? 'cancelled' : 'failed';
  const [row] = await db.update(runs)
    .set({
      status, failureKind: failure.kind, errorMessage: failure.message, completedAt: sql`now()`, updatedAt: sql`now()`,
      ...(failure.outputs ? { outputs: failure.outputs } : {}),
    })
    .where(and(eq(runs.id, id), inArray(runs.status, openStatuses)))
    .returning();
  return row ?? findRun(db, id);
}

export async function addRunEvent(
  db: Db, event: { runId: string; stage: string; progress: number; message: string; logSeq?: number },
): Promise<void> {
  await db.insert(runEvents).values(event).onConflictDoNothing().catch((error: unknown) => {
    // A run deleted while its workflow was still winding down: there is nothing left to record against.
    if (postgresErrorCode(error) !== foreignKeyViolation) throw error;
  });
}

/**
 * A stage a running run reached: its event and its stage and progress in one statement (a milestone of its log, the
 * download); the event is recorded once, and progress only moves forward.
 */
export async function recordRunStage(
  db: Db, event: { runId: string; stage: RunStage; progress: number; message: string; logSeq?: number },
): Promise<void> {
  await db.execute(sql`with recorded as (
      insert into ${runEvents} (${sql.identifier(runEvents.runId.name)}, ${sql.identifier(runEvents.stage.name)}, ${sql.identifier(runEvents.progress.name)}, ${sql.identifier(runEvents.message.name)}, ${sql.identifier(runEvents.logSeq.name)})
      values (${event.runId}, ${event.stage}, ${event.progress}, ${event.message}, ${event.logSeq ?? null}) on conflict do nothing)
    update ${runs} set ${sql.identifier(runs.stage.name)} = ${event.stage}, ${sql.identifier(runs.progress.name)} = greatest(${runs.progress}, ${event.progress}), ${sql.identifier(runs.updatedAt.name)} = now()
    where ${runs.id} = ${event.runId} and ${runs.status} = 'running'`).catch((error: unknown) => {
    if (postgresErrorCode(error) !== foreignKeyViolation) throw error;
  });
}

const foreignKeyViolation = '23503';

// drizzle wraps the driver's error; the SQLSTATE code sits on it or on its cause.
function postgresErrorCode(error: unknown): string | undefined {
  const withCode = error as { code?: string; cause?: { code?: string } };
  return withCode.code ?? withCode.cause?.code;
}

export async function listRunEvents(db: Db, runId: string): Promise<RunEvent[]> {
  return db.select().from(runEvents).where(eq(runEvents.runId, runId)).orderBy(asc(runEvents.id));
}

/** The runs started by `cosmos retry` of this one, oldest first. */
export async function listRetriesOfRun(db: Db, runId: string): Promise<Run[]> {
  return db.select().from(runs).where(eq(runs.retryOfRunId, runId)).orderBy(asc(runs.createdAt), asc(runs.id));
}
