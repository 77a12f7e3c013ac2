import type { Db } from '../client.js';

const statements = new WeakMap<Db, Map<string, unknown>>();

/**
 * The statement `build` prepares, built once per db handle and key. The API runs the same few reads over and over;
 * drizzle building the SQL anew for each request cost about as much CPU as everything else in it.
 */
export function preparedOnce<T>(db: Db, key: string, build: () => T): T {
  let byKey = statements.get(db);
  if (!byKey) statements.set(db, byKey = new Map());
  if (!byKey.has(key)) byKey.set(key, build());
  return byKey.get(key) as T;
}
