import type { Config } from '../../config.js';
import type { Db } from '../../db/client.js';
import { collectHostStatus, type HostStatus } from '../../gpu/host-status.js';
import { openHostTransport } from '../../gpu/open-transport.js';
import type { GpuHostTransport } from '../../gpu/transport.js';

export interface HostStatusReader { read(): Promise<HostStatus[]>; close(): Promise<void> }

/** Reads every configured host's status over its own transport, opened on first use and kept for the next read. */
export function createHostStatusReader(config: Config, db: Db): HostStatusReader {
  const transports = new Map<string, Promise<GpuHostTransport>>();
  const transportFor = (host: Config['hosts'][number]) => {
    if (!transports.has(host.name)) transports.set(host.name, openHostTransport(host));
    return transports.get(host.name)!;
  };
  return {
    read: () => Promise.all(config.hosts.map(async (host): Promise<HostStatus> => {
      try {
        return await collectHostStatus(db, host, await transportFor(host));
      } catch (error) {
        transports.delete(host.name);
        return { host: host.name, reachable: false, error: (error as Error).message, gpus: [], containers: [], orphanContainers: [], zombieRuns: [] };
      }
    })),
    async close() {
      const open = await Promise.allSettled(transports.values());
      await Promise.all(open.map((t) => (t.status === 'fulfilled' ? t.value.close() : undefined)));
    },
  };
}
