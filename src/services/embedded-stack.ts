import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { migrateDb } from '../db/client.js';
import { cosmosSearchAttributes } from '../workflows/search-attributes.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { removeStackFile, writeStackFile, type StackEndpoints } from './endpoints.js';
import { pickFreePort } from './free-port.js';
import { startTemporalDevServer } from './temporal-dev-server.js';

export interface EmbeddedStack extends StackEndpoints { stop(): Promise<void> }

/**
 * Whatever the config does not point elsewhere is started here: the Temporal dev server (with its Web UI)
 * and PostgreSQL, both persisted under the data directory, so the next start sees the same runs. Both stop
 * when this process dies, even by SIGKILL; servers an earlier run still left behind are stopped first.
 */
export async function startEmbeddedStack(config: Config, log: (line: string) => void = () => {}): Promise<EmbeddedStack> {
  await mkdir(config.dataDir, { recursive: true });
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    removeStackFile(config.dataDir);
    for (const s of stops.reverse()) await s().catch(() => {});
  };
  const notice = (line: string) => log(`(${line})`);
  // The message quotes the cause in full (callers that print only the message lose nothing); cause keeps the chain.
  const step = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw new Error(`${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  };
  try {
    let databaseUrl = config.database.url;
    if (!databaseUrl) {
      const dataDir = join(config.dataDir, 'postgres');
      const pg = await step('PostgreSQL did not start', () => startEmbeddedPostgres({ dataDir, notice }));
      stops.push(pg.stop);
      databaseUrl = pg.url;
      log(`PostgreSQL      ${new URL(pg.url).host} (embedded, data in ${dataDir})`);
    }
    const url = databaseUrl;
    await step('migrating the database failed', () => migrateDb(url));

    let temporalAddress = config.temporal.address;
    let temporalUiUrl = config.temporal.ui_url ?? null;
    if (!temporalAddress) {
      const dataDir = join(config.dataDir, 'temporal');
      const server = await step(`the Temporal dev server (data in ${dataDir}) did not start`, async () => startTemporalDevServer({
        dataDir, port: await pickFreePort(), uiPort: 0, namespace: config.temporal.namespace, searchAttributes: cosmosSearchAttributes, notice,
      }));
      stops.push(server.stop);
      temporalAddress = server.address;
      temporalUiUrl = server.uiUrl;
      log(`Temporal        ${server.address} (dev server, Web UI ${server.uiUrl})`);
    }
    const endpoints = { databaseUrl, temporalAddress, temporalUiUrl };
    writeStackFile(config.dataDir, endpoints);
    return { ...endpoints, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
