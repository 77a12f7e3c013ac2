import { and, desc, eq, ilike, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../client.js';
import { prompts, runs, type FailureKind, type RunStage, type RunStatus } from '../schema.js';
import { preparedOnce } from './prepared.js';
import {
  afterPageKey, decodeListCursor, decodeSearchCursor, encodeListCursor, encodeSearchCursor, InvalidCursorError, pageKeyColumn, type PageKey,
} from './page-cursor.js';

export const defaultListLimit = 50;
export const maxListLimit = 10_000;

/** `cursor` is the `nextCursor` of the page before; without it the first (newest) page. */
export interface PageOptions { limit?: number; cursor?: string }
export interface PromptFilters extends PageOptions { modelType?: string; since?: Date }
export interface RunFilters extends PromptFilters { status?: RunStatus; promptId?: string; batchId?: string; host?: string }

/** What listings return: the columns a table or a client needs, never the bulky jsonb of a row. */
export interface PromptSummary {
  id: string; name: string; modelType: string; promptText: string; parentPromptId: string | null; createdAt: Date; runCount: number;
}
export interface RunSummary {
  id: string; promptId: string; promptName: string; modelType: string; status: RunStatus; stage: RunStage | null;
  progress: number; gpuHost: string | null; batchId: string | null; parentRunId: string | null; rating: number | null;
  failureKind: FailureKind | null; errorMessage: string | null; createdAt: Date; startedAt: Date | null; completedAt: Date | null;
}
/** `nextCursor` is null on the last page. */
export interface PromptPage { prompts: PromptSummary[]; nextCursor: string | null }
export interface RunPage { runs: RunSummary[]; nextCursor: string | null }
export interface SearchPage { prompts: PromptSummary[]; runs: RunSummary[]; nextCursor: string | null }

const promptColumns = {
  id: prompts.id, name: prompts.name, modelType: prompts.modelType, promptText: prompts.promptText,
  parentPromptId: prompts.parentPromptId, createdAt: prompts.createdAt,
  // Spelled out: drizzle leaves columns unqualified here, and a bare "id" would mean runs.id inside the subquery.
  runCount: sql<number>`(select count(*) from "runs" where "runs"."prompt_id" = "prompts"."id")`.mapWith(Number),
  pageKey: pageKeyColumn(prompts.createdAt),
};

const runColumns = {
  id: runs.id, promptId: runs.promptId, promptName: prompts.name, modelType: runs.modelType, status: runs.status,
  stage: runs.stage, progress: runs.progress, gpuHost: runs.gpuHost, batchId: runs.batchId, parentRunId: runs.parentRunId,
  rating: runs.rating, failureKind: runs.failureKind, errorMessage: runs.errorMessage, createdAt: runs.createdAt, startedAt: runs.startedAt, completedAt: runs.completedAt,
  pageKey: pageKeyColumn(runs.createdAt),
};

/** Newest first, one page. */
export async function listPromptPage(db: Db, filters: PromptFilters = {}): Promise<PromptPage> {
  const limit = clampLimit(filters.limit);
  const key = filters.cursor !== undefined ? requireListKey(filters.cursor) : undefined;
  const values: Record<string, unknown> = { modelType: filters.modelType, since: filters.since?.toISOString(), at: key?.at, id: key?.id };
  const present = Object.keys(values).filter((name) => values[name] !== undefined);
  const statement = preparedOnce(db, `prompts:${present.join(',')}`, () => {
    const when = (name: string, condition: () => SQL) => (present.includes(name) ? condition() : undefined);
    return db.select(promptColumns).from(prompts).where(and(
      when('modelType', () => eq(prompts.modelType, sql.placeholder('modelType'))),
      when('since', () => sql`${prompts.createdAt} >= ${sql.placeholder('since')}::timestamptz`),
      when('at', () => afterPageKey(prompts.createdAt, prompts.id, { at: sql.placeholder('at'), id: sql.placeholder('id') })),
    )).orderBy(desc(prompts.createdAt), desc(prompts.id)).limit(sql.placeholder('limit')).prepare('list_prompts');
  });
  const page = splitPage(await statement.execute({ ...values, limit: limit + 1 }), limit);
  return { prompts: page.items, nextCursor: page.last ? encodeListCursor(page.last) : null };
}

/** Newest first, one page. */
export async function listRunPage(db: Db, filters: RunFilters = {}): Promise<RunPage> {
  const limit = clampLimit(filters.limit);
  const key = filters.cursor !== undefined ? requireListKey(filters.cursor) : undefined;
  const values: Record<string, unknown> = {
    status: filters.status, modelType: filters.modelType, promptId: filters.promptId, batchId: filters.batchId, host: filters.host,
    since: filters.since?.toISOString(), at: key?.at, id: key?.id,
  };
  const present = Object.keys(values).filter((name) => values[name] !== undefined);
  const statement = preparedOnce(db, `runs:${present.join(',')}`, () => prepareRunPage(db, new Set(present)));
  const page = splitPage(await statement.execute({ ...values, limit: limit + 1 }), limit);
  return { runs: page.items, nextCursor: page.last ? encodeListCursor(page.last) : null };
}

function prepareRunPage(db: Db, present: Set<string>) {
  const value = (name: string) => sql.placeholder(name);
  const when = (name: string, condition: () => SQL) => (present.has(name) ? condition() : undefined);
  return db.select(runColumns).from(runs).innerJoin(prompts, eq(prompts.id, runs.promptId)).where(and(
    when('status', () => eq(runs.status, value('status'))),
    when('modelType', () => eq(runs.modelType, value('modelType'))),
    when('promptId', () => eq(runs.promptId, value('promptId'))),
    when('batchId', () => eq(runs.batchId, value('batchId'))),
    when('host', () => eq(runs.gpuHost, value('host'))),
    when('since', () => sql`${runs.createdAt} >= ${value('since')}::timestamptz`),
    when('at', () => afterPageKey(runs.createdAt, runs.id, { at: value('at'), id: value('id') })),
  )).orderBy(desc(runs.createdAt), desc(runs.id)).limit(value('limit')).prepare('list_runs');
}

export const listPrompts = async (db: Db, filters: PromptFilters = {}) => (await listPromptPage(db, filters)).prompts;
export const listRuns = async (db: Db, filters: RunFilters = {}) => (await listRunPage(db, filters)).runs;

/**
 * Case-insensitive substring search, newest first: prompts by text, name and id; runs by id. `%` and `_` match
 * literally. Trigram indexes answer it without reading every row. One cursor pages both lists.
 */
export async function searchRecords(db: Db, text: string, options: PageOptions = {}): Promise<SearchPage> {
  const limit = clampLimit(options.limit);
  const keys = options.cursor !== undefined ? decodeSearchCursor(options.cursor) : undefined;
  if (options.cursor !== undefined && !keys) throw new InvalidCursorError();
  const pattern = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  // A list that ran out on an earlier page (its key is null) has nothing more.
  const [promptRows, runRows] = await Promise.all([
    keys?.prompts === null ? [] : selectPrompts(db, and(
      or(ilike(prompts.promptText, pattern), ilike(prompts.name, pattern), ilike(prompts.id, pattern)),
      keys?.prompts ? afterPageKey(prompts.createdAt, prompts.id, keys.prompts) : undefined,
    ), limit),
    keys?.runs === null ? [] : selectRuns(db, and(
      ilike(runs.id, pattern),
      keys?.runs ? afterPageKey(runs.createdAt, runs.id, keys.runs) : undefined,
    ), limit),
  ]);
  const promptPage = splitPage(promptRows, limit);
  const runPage = splitPage(runRows, limit);
  const more = promptPage.last !== null || runPage.last !== null;
  return {
    prompts: promptPage.items, runs: runPage.items,
    nextCursor: more ? encodeSearchCursor({ prompts: promptPage.last, runs: runPage.last }) : null,
  };
}

/** One row more than the page, so that a full last page does not promise another. */
function selectPrompts(db: Db, where: SQL | undefined, limit: number) {
  return db.select(promptColumns).from(prompts).where(where).orderBy(desc(prompts.createdAt), desc(prompts.id)).limit(limit + 1);
}

function selectRuns(db: Db, where: SQL | undefined, limit: number) {
  return db.select(runColumns).from(runs).innerJoin(prompts, eq(prompts.id, runs.promptId)).where(where)
    .orderBy(desc(runs.createdAt), desc(runs.id)).limit(limit + 1);
}

function splitPage<T extends { id: string; pageKey: string }>(rows: T[], limit: number): { items: Omit<T, 'pageKey'>[]; last: PageKey | null } {
  const kept = rows.slice(0, limit);
  const tail = kept.at(-1);
  const items = kept.map(({ pageKey: _key, ...rest }) => rest);
  return { items, last: rows.length > limit && tail ? { at: tail.pageKey, id: tail.id } : null };
}

function requireListKey(cursor: string): PageKey {
  const key = decodeListCursor(cursor);
  if (!key) throw new InvalidCursorError();
  return key;
}

function clampLimit(limit: number | undefined): number {
  if (limit === undefined) return defaultListLimit;
  return Math.min(Math.max(Math.trunc(limit), 1), maxListLimit);
}
