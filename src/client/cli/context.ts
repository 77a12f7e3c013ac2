import type { Client } from '@temporalio/client';
import { loadConfig, type Config, type GpuHostConfig } from '../../config.js';
import { InputError } from '../../core/input-error.js';
import { createDb, type Db } from '../../db/client.js';
import { openHostTransport } from '../../gpu/open-transport.js';
import type { GpuHostTransport } from '../../gpu/transport.js';
import { resolveEndpoints } from '../../services/endpoints.js';

export interface CliContext {
  config: Config;
  db: Db;
  temporal(): Promise<Client>;
  /** The configured host of that name with an open transport (closed with the context). */
  host(name: string): Promise<{ config: GpuHostConfig; transport: GpuHostTransport }>;
  close(): Promise<void>;
}

/**
 * Loads the config and opens the database on first use, Temporal and GPU hosts likewise: `cosmos prepare`
 * needs none of them, and read commands never load the Temporal SDK, which keeps `cosmos list` fast.
 */
export function openCliContext(): CliContext {
  let opened: { config: Config; db: Db; closeDb(): Promise<void>; temporalAddress: string } | null = null;
  let temporal: { client: Client; close(): Promise<void> } | null = null;
  const transports = new Map<string, GpuHostTransport>();
  const open = () => {
    if (opened) return opened;
    const config = loadConfig();
    const endpoints = resolveEndpoints(config);
    const { db, close: closeDb } = createDb(endpoints.databaseUrl, { max: 2 });
    const ui = endpoints.temporalUiUrl ? { ui_url: endpoints.temporalUiUrl } : {};
    opened = { config: { ...config, temporal: { ...config.temporal, ...ui } }, db, closeDb, temporalAddress: endpoints.temporalAddress };
    return opened;
  };
  return {
    get config() { return open().config; },
    get db() { return open().db; },
    async temporal() {
      const { config, temporalAddress } = open();
      const { connectTemporal } = await import('../temporal.js');
      temporal ??= await connectTemporal({ address: temporalAddress, namespace: config.temporal.namespace });
      return temporal.client;
    },
    async host(name) {
      const { config } = open();
      const hostConfig = config.hosts.find((h) => h.name === name);
      if (!hostConfig) throw new InputError(`GPU host "${name}" is not configured (known: ${config.hosts.map((h) => h.name).join(', ') || 'none'})`);
      let transport = transports.get(name);
      if (!transport) {
        transport = await openHostTransport(hostConfig);
        transports.set(name, transport);
      }
      return { config: hostConfig, transport };
    },
    async close() {
      await Promise.allSettled([...transports.values()].map((t) => t.close()));
      await temporal?.close();
      await opened?.closeDb();
    },
  };
}
