import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { startEmbeddedPostgres } from '../../src/services/embedded-postgres.js';
import { createTestDatabase } from '../helpers/database.js';

const root = mkdtempSync(join(tmpdir(), 'cosmos-pg-test-'));
chmodSync(root, 0o755); // as root, the server runs as `postgres` and must reach the data dir
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function query<T extends readonly object[]>(url: string, run: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return await run(sql);
  } finally {
    await sql.end();
  }
}

describe('embedded PostgreSQL', () => {
  it('leaves the exit and signal handling of this process alone', async () => {
    const server = await startEmbeddedPostgres({ dataDir: join(root, 'hooks') });
    try {
      // embedded-postgres installs async-exit-hook, whose 'beforeExit' → exit(0) made failing runs exit 0.
      const fromPackage = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
      expect((fromPackage('async-exit-hook') as { hookedEvents(): string[] }).hookedEvents()).toEqual([]);
    } finally {
      await server.stop();
    }
  });

  it('keeps a table and its rows across stop and start on the same data dir', async () => {
    const dataDir = join(root, 'data');
    const first = await startEmbeddedPostgres({ dataDir, database: 'kept' });
    try {
      expect(first.url).toMatch(/^postgres:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/kept$/);
      await query(first.url, async (sql) => {
        await sql`create table notes (id int primary key, body text not null)`;
        return sql`insert into notes values (1, 'first'), (2, 'second')`;
      });
    } finally {
      await first.stop();
    }

    const second = await startEmbeddedPostgres({ dataDir, database: 'kept' });
    try {
      expect(second.url).not.toBe(first.url); // a new free port, same password and cluster
      const rows = await query(second.url, (sql) => sql`select id, body from notes order by id`);
      expect(rows).toEqual([
        { id: 1, body: 'first' },
        { id: 2, body: 'second' },
      ]);
    } finally {
      await second.stop();
    }
  });

  it('gives each test file its own database that drop removes', async () => {
    const baseUrl = inject('databaseUrl');
    const db = await createTestDatabase(baseUrl);
    const name = new URL(db.url).pathname.slice(1);
    const exists = () =>
      query(baseUrl, (sql) => sql`select 1 from pg_database where datname = ${name}`).then((r) => r.length === 1);
    await query(db.url, (sql) => sql`create table t (n int)`);
    expect(await exists()).toBe(true);
    await db.drop();
    expect(await exists()).toBe(false);
  });
});
