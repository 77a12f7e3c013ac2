import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import * as schema from './schema.js';

export type Db = ReturnType<typeof drizzle<typeof schema>>;

export interface DbHandle { db: Db; close(): Promise<void> }

export function createDb(url: string, options: { max?: number } = {}): DbHandle {
  const sql = postgres(url, { max: options.max ?? 10, onnotice: () => {} });
  return { db: drizzle(sql, { schema }), close: () => sql.end({ timeout: 5 }) };
}

// Migrations live next to the sources; from dist/src/db we climb back to src/db.
function findMigrationsFolder(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const parts = here.split('/');
  const distAt = parts.lastIndexOf('dist');
  const root = distAt >= 0 ? parts.slice(0, distAt).join('/') : join(here, '..', '..');
  return join(root, 'src', 'db', 'migrations');
}

export async function migrateDb(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await migrate(drizzle(sql), { migrationsFolder: findMigrationsFolder() });
  } finally {
    await sql.end({ timeout: 5 });
  }
}
