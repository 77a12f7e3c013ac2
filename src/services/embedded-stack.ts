import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { migrateDb } from '../db/client.js';
import { cosmosSearchAttributes } from '../workflows/search-attributes.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { writeStackFile, type StackEndpoints } from './endpoints.js';
import { pickFreePort } from './free-port.js';
import { startTemporalDevServer } from './temporal-dev-server.js';

export interface EmbeddedStack extends StackEndpoints { stop(): Promise<void> }

/**
 * Whatever the config does not point elsewhere is started here: the Temporal dev server (with its Web UI)
 * and PostgreSQL, both persisted under the data directory, so the next start sees the same runs.
 */
export async function startEmbeddedStack(config: Config, log: (line: string) => void = () => {}): Promise<EmbeddedStack> {
  await mkdir(config.dataDir, { recursive: true });
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
  };
  try {
    let databaseUrl = config.database.url;
    if (!databaseUrl) {
      const pg = await startEmbeddedPostgres({ dataDir: join(config.dataDir, 'postgres') });
      stops.push(pg.stop);
      databaseUrl = pg.url;
      log(`PostgreSQL      ${new URL(pg.url).host} (embedded, data in ${join(config.dataDir, 'postgres')})`);
    }
    await migrateDb(databaseUrl);

    let temporalAddress = config.temporal.address;
    let temporalUiUrl = config.temporal.ui_url ?? null;
    if (!temporalAddress) {
      const server = await startTemporalDevServer({
        dataDir: join(config.dataDir, 'temporal'), port: await pickFreePort(), uiPort: 0,
        namespace: config.temporal.namespace, searchAttributes: cosmosSearchAttributes,
      });
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
