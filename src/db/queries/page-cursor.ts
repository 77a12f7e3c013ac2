import { sql, type AnyColumn, type SQL } from 'drizzle-orm';

/** Where a newest-first page ended: the last row's created_at (as PostgreSQL prints it, to the microsecond) and id. */
export interface PageKey { at: string; id: string }

const atPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const idPattern = /^(ps|rs|bt)_[0-9a-f]{32}$/;

/** A JS Date keeps milliseconds only; the key keeps created_at exact so rows of the same millisecond are not skipped. */
export const pageKeyColumn = (createdAt: AnyColumn) =>
  sql<string>`to_char(${createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Rows strictly after the key in (created_at desc, id desc) order; the (…, created_at, id) indexes serve it. */
export const afterPageKey = (createdAt: AnyColumn, id: AnyColumn, key: { at: unknown; id: unknown }): SQL =>
  sql`(${createdAt}, ${id}) < (${key.at}::timestamptz, ${key.id})`;

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function decode(cursor: string): unknown {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

const asKey = (value: unknown): PageKey | undefined => (Array.isArray(value) && value.length === 2
  && typeof value[0] === 'string' && atPattern.test(value[0]) && typeof value[1] === 'string' && idPattern.test(value[1])
  ? { at: value[0], id: value[1] } : undefined);

export const encodeListCursor = (key: PageKey) => encode([key.at, key.id]);

/** The key of a list cursor, or undefined when the text is not one this module wrote. */
export const decodeListCursor = (cursor: string): PageKey | undefined => asKey(decode(cursor));

/** A search pages its prompts and its runs together; null marks a list that has no more rows. */
export interface SearchKeys { prompts: PageKey | null; runs: PageKey | null }

export const encodeSearchCursor = (keys: SearchKeys) =>
  encode({ p: keys.prompts && [keys.prompts.at, keys.prompts.id], r: keys.runs && [keys.runs.at, keys.runs.id] });

export function decodeSearchCursor(cursor: string): SearchKeys | undefined {
  const value = decode(cursor) as { p?: unknown; r?: unknown } | undefined;
  if (typeof value !== 'object' || value === null || !('p' in value) || !('r' in value)) return undefined;
  const prompts = value.p === null ? null : asKey(value.p);
  const runs = value.r === null ? null : asKey(value.r);
  if (prompts === undefined || runs === undefined || (prompts === null && runs === null)) return undefined;
  return { prompts, runs };
}

export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
  constructor() {
    super('the cursor is not one an earlier page returned');
  }
}
