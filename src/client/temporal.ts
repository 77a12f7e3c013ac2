import { Client, Connection } from '@temporalio/client';
import { createClosableRetry } from './closable-retry.js';

export interface TemporalTarget { address: string; namespace: string }

export async function connectTemporal(target: TemporalTarget): Promise<{ client: Client; close(): Promise<void> }> {
  const retry = createClosableRetry();
  const connection = await Connection.connect({ address: target.address, connectTimeout: '10s', interceptors: [retry.interceptor] }).catch((error: unknown) => {
    throw new Error(`cannot reach Temporal at ${target.address}: ${(error as Error).message}`);
  });
  return { client: new Client({ connection, namespace: target.namespace }), close: () => { retry.close(); return connection.close(); } };
}
