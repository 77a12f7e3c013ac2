import type { Client } from '@temporalio/client';
import { loadConfig, type Config } from '../../config.js';
import { createDb, type Db } from '../../db/client.js';
import { resolveEndpoints } from '../../services/endpoints.js';
import { connectTemporal } from '../temporal.js';

export interface CliContext { config: Config; db: Db; temporal(): Promise<Client>; close(): Promise<void> }

/** Opens the database now and Temporal on first use, so read-only commands never need Temporal. */
export function openCliContext(): CliContext {
  const config = loadConfig();
  const endpoints = resolveEndpoints(config);
  const { db, close: closeDb } = createDb(endpoints.databaseUrl, { max: 2 });
  let temporal: Awaited<ReturnType<typeof connectTemporal>> | null = null;
  const withUi: Config = { ...config, temporal: { ...config.temporal, ...(endpoints.temporalUiUrl ? { ui_url: endpoints.temporalUiUrl } : {}) } };
  return {
    config: withUi,
    db,
    async temporal() {
      temporal ??= await connectTemporal({ address: endpoints.temporalAddress, namespace: config.temporal.namespace });
      return temporal.client;
    },
    async close() {
      await temporal?.close();
      await closeDb();
    },
  };
}
