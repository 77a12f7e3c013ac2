import { count } from 'drizzle-orm';
import { inject } from 'vitest';
import { createDb, migrateDb, type Db } from '../../src/db/client.js';
import { prompts, runs } from '../../src/db/schema.js';
import { createTestDatabase } from './database.js';

/** A fresh, migrated database of its own, on the test run's PostgreSQL. */
export async function openMigratedDb(): Promise<{ db: Db; url: string; close(): Promise<void> }> {
  const testDb = await createTestDatabase(inject('databaseUrl'));
  await migrateDb(testDb.url);
  const handle = createDb(testDb.url, { max: 3 });
  return { db: handle.db, url: testDb.url, close: async () => { await handle.close(); await testDb.drop(); } };
}

export async function countRows(db: Db): Promise<{ prompts: number; runs: number }> {
  const [p] = await db.select({ n: count() }).from(prompts);
  const [r] = await db.select({ n: count() }).from(runs);
  return { prompts: p?.n ?? 0, runs: r?.n ?? 0 };
}
