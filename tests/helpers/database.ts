import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** Creates a uniquely named database on the server behind `baseUrl` (any database on it works as admin). */
export async function createTestDatabase(baseUrl: string): Promise<TestDatabase> {
  const name = `cosmos_test_${randomBytes(6).toString('hex')}`;
  await withAdmin(baseUrl, (sql) => sql`create database ${sql(name)}`);
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    // `with (force)` ends connections a test forgot to close.
    drop: () => withAdmin(baseUrl, (sql) => sql`drop database if exists ${sql(name)} with (force)`),
  };
}

async function withAdmin(baseUrl: string, use: (sql: postgres.Sql) => Promise<unknown>): Promise<void> {
  const sql = postgres(baseUrl, { max: 1, onnotice: () => {} });
  try {
    await use(sql);
  } finally {
    await sql.end();
  }
}
