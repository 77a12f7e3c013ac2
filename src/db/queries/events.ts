import { and, asc, eq, gt } from 'drizzle-orm';
import type { Db } from '../client.js';
import { runEvents, type RunEvent } from '../schema.js';

/** A run's progress events with an id above `afterId`, oldest first (the serial id orders them). */
export async function listRunEventsAfter(db: Db, runId: string, afterId: number, limit = 500): Promise<RunEvent[]> {
  return db.select().from(runEvents)
    .where(and(eq(runEvents.runId, runId), gt(runEvents.id, afterId)))
    .orderBy(asc(runEvents.id))
    .limit(limit);
}
