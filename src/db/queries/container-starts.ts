import { and, eq, inArray, isNotNull, sql } from 'drizzle-orm';
import type { Db } from '../client.js';
import { runs } from '../schema.js';

/**
 * Recorded just before `docker run`: from here on, a container of this name that is absent was lost (host reboot,
 * docker rm), never "not started yet". Every run the container serves (one, or a batch segment's) is marked.
 */
export async function markContainerStarting(db: Db, runIds: string[], containerName: string): Promise<void> {
  await db.update(runs).set({ containerName, containerStartedAt: sql`now()`, updatedAt: sql`now()` }).where(inArray(runs.id, runIds));
}

/** Undoes the mark when `docker run` certainly never reached the host (the SSH channel did not open). */
export async function clearContainerStarting(db: Db, runIds: string[], containerName: string): Promise<void> {
  await db.update(runs).set({ containerStartedAt: null, updatedAt: sql`now()` })
    .where(and(inArray(runs.id, runIds), eq(runs.containerName, containerName)));
}

/** Whether `docker run` of this container may already have happened for any of the runs. */
export async function wasContainerStarted(db: Db, runIds: string[], containerName: string): Promise<boolean> {
  const rows = await db.select({ id: runs.id }).from(runs)
    .where(and(inArray(runs.id, runIds), eq(runs.containerName, containerName), isNotNull(runs.containerStartedAt)))
    .limit(1);
  return rows.length > 0;
}
