import type { Db } from '../db/client.js';
import { isEntityId } from '../db/ids.js';
import { setRunRating } from '../db/queries/maintenance.js';
import { findRun } from '../db/queries/runs.js';
import type { Run } from '../db/schema.js';
import { InputError, NotFoundError } from './input-error.js';

/** A rating is 1–5 and only for completed runs: there is nothing to judge in a failed or unfinished one. */
export async function rateRun(db: Db, runId: string, rating: number): Promise<Run> {
  if (!isEntityId(runId, 'rs')) throw new InputError(`"${runId}" is not a run id (rs_ followed by 32 hex digits)`);
  if (!Number.isInteger(rating) || rating < 1 || rating > 5) throw new InputError(`the rating must be a whole number from 1 to 5, got ${rating}`);
  const run = await findRun(db, runId);
  if (!run) throw new NotFoundError(`run ${runId} does not exist`);
  if (run.status !== 'completed') throw new InputError(`run ${runId} is ${run.status}; only completed runs can be rated`);
  const rated = await setRunRating(db, runId, rating);
  if (!rated) throw new NotFoundError(`run ${runId} does not exist`);
  return rated;
}
