import type { Config } from '../../config.js';
import { createDb } from '../../db/client.js';
import type { StackEndpoints } from '../../services/endpoints.js';
import { connectTemporal } from '../temporal.js';
import { ensureApiToken } from './api-token.js';
import { createApi } from './create-api.js';
import { createHostStatusReader } from './host-status-source.js';
import { startApiServer, type ApiServer } from './server.js';

export interface OpenedApiServer extends ApiServer {
  token: string;
  /** The token was made for the data directory (none configured): print it, the way Jupyter does. */
  generatedToken: boolean;
}

/**
 * Everything the API process holds: its db pool, Temporal connection, host transports and the HTTP server. It
 * always has a token: the configured one, or the data directory's own (made on first use).
 */
export async function openApiServer(config: Config, endpoints: StackEndpoints, log: (error: unknown) => void): Promise<OpenedApiServer> {
  const token = config.api.token ?? ensureApiToken(config.dataDir);
  const withUi: Config = {
    ...config,
    api: { ...config.api, token },
    temporal: { ...config.temporal, ...(endpoints.temporalUiUrl ? { ui_url: endpoints.temporalUiUrl } : {}) },
  };
  const { db, close: closeDb } = createDb(endpoints.databaseUrl);
  const closes: Array<() => Promise<void>> = [closeDb];
  const closeAll = async () => {
    for (const close of closes.reverse()) await close().catch(() => {});
  };
  try {
    const temporal = await connectTemporal({ address: endpoints.temporalAddress, namespace: config.temporal.namespace });
    closes.push(temporal.close);
    const hosts = createHostStatusReader(withUi, db);
    closes.push(hosts.close);
    const app = createApi({ db, temporal: temporal.client, config: withUi }, { hosts: hosts.read, logError: log });
    const server = await startApiServer(app, { bind: config.api.bind, port: config.api.port, token });
    closes.push(server.close);
    return { ...server, token, generatedToken: config.api.token === undefined, close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** Resolves on the first SIGINT or SIGTERM (so the caller can stop in order); a second one exits at once. */
export function waitForStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (received) process.exit(130);
      received = true;
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
