import { asc, eq } from 'drizzle-orm';
import type { Db } from '../client.js';
import { batches, isOpenRunStatus, runs, type Batch, type NewRun, type Run, type RunStatus } from '../schema.js';

export async function insertBatchWithRuns(db: Db, batch: { id: string; options: Record<string, unknown> }, members: NewRun[]): Promise<{ batch: Batch; runs: Run[] }> {
  return db.transaction(async (tx) => {
    const [row] = await tx.insert(batches).values({ ...batch, status: 'pending' }).returning();
    const inserted = await tx.insert(runs).values(members).returning();
    return { batch: row!, runs: inserted.sort((a, b) => (a.batchIndex ?? 0) - (b.batchIndex ?? 0)) };
  });
}

export async function findBatch(db: Db, id: string): Promise<Batch | undefined> {
  const [row] = await db.select().from(batches).where(eq(batches.id, id));
  return row;
}

export async function listBatchRuns(db: Db, batchId: string): Promise<Run[]> {
  return db.select().from(runs).where(eq(runs.batchId, batchId)).orderBy(asc(runs.batchIndex));
}

export async function setBatchStatus(db: Db, id: string, status: RunStatus): Promise<void> {
  await db.update(batches).set({ status }).where(eq(batches.id, id));
}

/** A batch is running while any member is open; then completed only if every member completed. */
export async function settleBatchStatus(db: Db, id: string): Promise<RunStatus> {
  const members = await listBatchRuns(db, id);
  const status: RunStatus = members.some((r) => isOpenRunStatus(r.status)) ? 'running'
    : members.every((r) => r.status === 'completed') ? 'completed'
      : members.every((r) => r.status === 'cancelled') ? 'cancelled' : 'failed';
  await db.update(batches).set({ status }).where(eq(batches.id, id));
  return status;
}

