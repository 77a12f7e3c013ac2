import { inArray, or, sql } from 'drizzle-orm';
import type { Db } from '../client.js';
import { runs, type RunStatus } from '../schema.js';

/** What `cosmos clean` needs to know of a run behind a job on a GPU host. */
export interface JobRunState { id: string; batchId: string | null; status: RunStatus; hasOutputs: boolean; completedAt: Date | null }

/** The runs with these ids and every run of these batches (a batch's job keys stand for all of its runs). */
export async function listRunsOfJobs(db: Db, runIds: string[], batchIds: string[]): Promise<JobRunState[]> {
  const conditions = [
    ...(runIds.length > 0 ? [inArray(runs.id, runIds)] : []),
    ...(batchIds.length > 0 ? [inArray(runs.batchId, batchIds)] : []),
  ];
  if (conditions.length === 0) return [];
  return db.select({
    id: runs.id, batchId: runs.batchId, status: runs.status, completedAt: runs.completedAt,
    hasOutputs: sql<boolean>`${runs.outputs} is not null`.mapWith(Boolean),
  }).from(runs).where(or(...conditions));
}

/**
 * Which of these sha256s something recorded still names: a prompt's input videos (video, depth, seg) or a run's
 * recorded output files (an upscale stages its source run's video into the host's cache under that hash).
 */
export async function findReferencedSha256(db: Db, candidates: string[]): Promise<Set<string>> {
  if (candidates.length === 0) return new Set();
  // One pass over each table, joined to the candidates by hash: no jsonb index is needed.
  const rows = await db.execute<{ sha: string }>(sql`
    with wanted as (select jsonb_array_elements_text(${JSON.stringify(candidates)}::jsonb) as sha),
    refs as (
      select inputs->'video'->>'sha256' as sha from prompts
      union all select inputs->'depth'->>'sha256' from prompts
      union all select inputs->'seg'->>'sha256' from prompts
      union all select f->>'sha256' from runs cross join lateral jsonb_array_elements(
        case when jsonb_typeof(outputs->'files') = 'array' then outputs->'files' else '[]'::jsonb end) f
    )
    select distinct w.sha from wanted w join refs r on r.sha = w.sha`);
  return new Set([...rows].map((row) => row.sha));
}
