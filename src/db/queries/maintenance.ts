import { and, asc, eq, inArray, isNotNull, sql } from 'drizzle-orm';
import type { Db } from '../client.js';
import { prompts, runs, type OutputFile, type Run } from '../schema.js';

/** Runs that recorded outputs, for `cosmos verify`. */
export async function listRunsWithOutputs(db: Db): Promise<Pick<Run, 'id' | 'status' | 'outputs'>[]> {
  return db.select({ id: runs.id, status: runs.status, outputs: runs.outputs }).from(runs)
    .where(isNotNull(runs.outputs)).orderBy(asc(runs.createdAt), asc(runs.id));
}

/** Which of these ids have a run row. */
export async function findExistingRunIds(db: Db, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.select({ id: runs.id }).from(runs).where(inArray(runs.id, ids));
  return new Set(rows.map((row) => row.id));
}

/** Keeps the run's recorded outputs to exactly these files (the rest of the outputs object is unchanged). */
export async function setRunOutputFiles(db: Db, id: string, files: OutputFile[]): Promise<void> {
  await db.update(runs)
    .set({ outputs: sql`jsonb_set(${runs.outputs}, '{files}', ${JSON.stringify(files)}::jsonb)`, updatedAt: sql`now()` })
    .where(and(eq(runs.id, id), isNotNull(runs.outputs)));
}

export async function listRunsOfPrompt(db: Db, promptId: string): Promise<Run[]> {
  return db.select().from(runs).where(eq(runs.promptId, promptId)).orderBy(asc(runs.createdAt), asc(runs.id));
}

/** Every run a pipeline made (enhance → inference, inference → upscale, a batch), in creation order. */
export async function listRunsOfWorkflow(db: Db, workflowId: string): Promise<Run[]> {
  return db.select().from(runs).where(eq(runs.workflowId, workflowId)).orderBy(asc(runs.createdAt), asc(runs.batchIndex), asc(runs.id));
}

export async function listChildRuns(db: Db, parentRunId: string): Promise<Run[]> {
  return db.select().from(runs).where(eq(runs.parentRunId, parentRunId)).orderBy(asc(runs.createdAt), asc(runs.id));
}

/** Runs the DB believes are on the host right now. */
export async function listRunningRunsOnHost(db: Db, host: string): Promise<Run[]> {
  return db.select().from(runs).where(and(eq(runs.gpuHost, host), eq(runs.status, 'running'))).orderBy(asc(runs.createdAt));
}

/** Deletes runs (their events cascade), then prompts, in one transaction. */
export async function deleteRecords(db: Db, ids: { runIds: string[]; promptIds: string[] }): Promise<void> {
  await db.transaction(async (tx) => {
    if (ids.runIds.length > 0) await tx.delete(runs).where(inArray(runs.id, ids.runIds));
    if (ids.promptIds.length > 0) await tx.delete(prompts).where(inArray(prompts.id, ids.promptIds));
  });
}

export async function setRunRating(db: Db, id: string, rating: number | null): Promise<Run | undefined> {
  const [row] = await db.update(runs).set({ rating, updatedAt: sql`now()` }).where(eq(runs.id, id)).returning();
  return row;
}
