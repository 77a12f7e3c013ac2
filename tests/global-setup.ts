import { createWriteStream } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../src/services/embedded-postgres.js';
import { startTemporalDevServer } from '../src/services/temporal-dev-server.js';
import { cosmosSearchAttributes } from '../src/workflows/search-attributes.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    databaseUrl: string;
  }
}

/** One Temporal dev server and one PostgreSQL for the whole run, unless TEMPORAL_ADDRESS / DATABASE_URL say otherwise. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stops: Array<() => Promise<void>> = [];
  // Under os.tmpdir(), not the checkout: as root, postgres runs as another user and needs every parent searchable.
  const dir = await mkdtemp(join(tmpdir(), 'cosmos-test-'));
  await chmod(dir, 0o755);
  const teardown = async () => {
    await Promise.allSettled(stops.reverse().map((stop) => stop()));
    if (!process.env.KEEP_TEST_ARTIFACTS) await rm(dir, { recursive: true, force: true });
  };

  // allSettled: if one fails, the other must finish starting before teardown can stop it.
  const [temporal, database] = await Promise.allSettled([startTemporal(dir, stops), startPostgres(dir, stops)]);
  if (temporal.status === 'rejected' || database.status === 'rejected') {
    await teardown();
    throw temporal.status === 'rejected' ? temporal.reason : (database as PromiseRejectedResult).reason;
  }
  project.provide('temporalAddress', temporal.value);
  project.provide('databaseUrl', database.value);
  return teardown;
}

async function startTemporal(dir: string, stops: Array<() => Promise<void>>): Promise<string> {
  if (process.env.TEMPORAL_ADDRESS) return process.env.TEMPORAL_ADDRESS;
  const t0 = Date.now();
  const log = createWriteStream(join(dir, 'temporal.log'));
  const server = await startTemporalDevServer({
    dataDir: join(dir, 'temporal'),
    headless: true,
    searchAttributes: cosmosSearchAttributes,
    log: (line) => log.write(`${line}\n`),
  });
  stops.push(async () => {
    await server.stop();
    log.end();
  });
  console.log(`[global-setup] Temporal dev server at ${server.address} (${Date.now() - t0} ms)`);
  return server.address;
}

async function startPostgres(dir: string, stops: Array<() => Promise<void>>): Promise<string> {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  const t0 = Date.now();
  const pg = await startEmbeddedPostgres({ dataDir: join(dir, 'postgres') });
  stops.push(pg.stop);
  console.log(`[global-setup] PostgreSQL at 127.0.0.1:${new URL(pg.url).port} (${Date.now() - t0} ms)`);
  return pg.url;
}
