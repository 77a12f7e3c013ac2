import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import postgres from 'postgres';
import { startEmbeddedPostgres } from '../src/services/embedded-postgres.js';

/** A throwaway database: on DATABASE_URL's server when set, otherwise an embedded PostgreSQL under `dir`. */
export async function openBenchDatabase(dir: string): Promise<{ url: string; stop(): Promise<void> }> {
  if (!process.env.DATABASE_URL) {
    const pg = await startEmbeddedPostgres({ dataDir: join(dir, 'postgres') });
    return { url: pg.url, stop: pg.stop };
  }
  const name = `cosmos_bench_${randomBytes(4).toString('hex')}`;
  const admin = postgres(process.env.DATABASE_URL, { max: 1, onnotice: () => {} });
  await admin`create database ${admin(name)}`;
  const url = new URL(process.env.DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async stop() {
      await admin`drop database if exists ${admin(name)} with (force)`;
      await admin.end();
    },
  };
}
