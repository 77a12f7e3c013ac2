import { and, desc, eq, gte, ilike, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../client.js';
import { prompts, runs, type FailureKind, type RunStage, type RunStatus } from '../schema.js';

export const defaultListLimit = 50;
export const maxListLimit = 10_000;

export interface PromptFilters { modelType?: string; since?: Date; limit?: number }
export interface RunFilters extends PromptFilters { status?: RunStatus; promptId?: string; batchId?: string; host?: string }

/** What listings return: the columns a table or a client needs, never the bulky jsonb of a row. */
export interface PromptSummary {
  id: string; name: string; modelType: string; promptText: string; parentPromptId: string | null; createdAt: Date; runCount: number;
}
export interface RunSummary {
  id: string; promptId: string; promptName: string; modelType: string; status: RunStatus; stage: RunStage | null;
  progress: number; gpuHost: string | null; batchId: string | null; parentRunId: string | null; rating: number | null;
  failureKind: FailureKind | null; createdAt: Date; startedAt: Date | null; completedAt: Date | null;
}

const promptColumns = {
  id: prompts.id, name: prompts.name, modelType: prompts.modelType, promptText: prompts.promptText,
  parentPromptId: prompts.parentPromptId, createdAt: prompts.createdAt,
  // Spelled out: drizzle leaves columns unqualified here, and a bare "id" would mean runs.id inside the subquery.
  runCount: sql<number>`(select count(*) from "runs" where "runs"."prompt_id" = "prompts"."id")`.mapWith(Number),
};

const runColumns = {
  id: runs.id, promptId: runs.promptId, promptName: prompts.name, modelType: runs.modelType, status: runs.status,
  stage: runs.stage, progress: runs.progress, gpuHost: runs.gpuHost, batchId: runs.batchId, parentRunId: runs.parentRunId,
  rating: runs.rating, failureKind: runs.failureKind, createdAt: runs.createdAt, startedAt: runs.startedAt, completedAt: runs.completedAt,
};

/** Newest first. */
export async function listPrompts(db: Db, filters: PromptFilters = {}): Promise<PromptSummary[]> {
  const where = and(
    filters.modelType !== undefined ? eq(prompts.modelType, filters.modelType) : undefined,
    filters.since !== undefined ? gte(prompts.createdAt, filters.since) : undefined,
  );
  return db.select(promptColumns).from(prompts).where(where)
    .orderBy(desc(prompts.createdAt), desc(prompts.id)).limit(clampLimit(filters.limit));
}

/** Newest first. */
export async function listRuns(db: Db, filters: RunFilters = {}): Promise<RunSummary[]> {
  return selectRuns(db, and(
    filters.status !== undefined ? eq(runs.status, filters.status) : undefined,
    filters.modelType !== undefined ? eq(runs.modelType, filters.modelType) : undefined,
    filters.promptId !== undefined ? eq(runs.promptId, filters.promptId) : undefined,
    filters.batchId !== undefined ? eq(runs.batchId, filters.batchId) : undefined,
    filters.host !== undefined ? eq(runs.gpuHost, filters.host) : undefined,
    filters.since !== undefined ? gte(runs.createdAt, filters.since) : undefined,
  ), filters.limit);
}

/** Case-insensitive substring search: prompts by text, name and id; runs by id. `%` and `_` match literally. */
export async function searchRecords(db: Db, text: string, options: { limit?: number } = {}): Promise<{ prompts: PromptSummary[]; runs: RunSummary[] }> {
  const pattern = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const [foundPrompts, foundRuns] = await Promise.all([
    db.select(promptColumns).from(prompts)
      .where(or(ilike(prompts.promptText, pattern), ilike(prompts.name, pattern), ilike(prompts.id, pattern)))
      .orderBy(desc(prompts.createdAt), desc(prompts.id)).limit(clampLimit(options.limit)),
    selectRuns(db, ilike(runs.id, pattern), options.limit),
  ]);
  return { prompts: foundPrompts, runs: foundRuns };
}

function selectRuns(db: Db, where: SQL | undefined, limit: number | undefined): Promise<RunSummary[]> {
  return db.select(runColumns).from(runs).innerJoin(prompts, eq(prompts.id, runs.promptId)).where(where)
    .orderBy(desc(runs.createdAt), desc(runs.id)).limit(clampLimit(limit));
}

function clampLimit(limit: number | undefined): number {
  if (limit === undefined) return defaultListLimit;
  return Math.min(Math.max(Math.trunc(limit), 1), maxListLimit);
}
