import { Client, Connection } from '@temporalio/client';

export interface TemporalTarget { address: string; namespace: string }

export async function connectTemporal(target: TemporalTarget): Promise<{ client: Client; close(): Promise<void> }> {
  const connection = await Connection.connect({ address: target.address, connectTimeout: '10s' }).catch((error: unknown) => {
    throw new Error(`cannot reach Temporal at ${target.address}: ${(error as Error).message}`);
  });
  return { client: new Client({ connection, namespace: target.namespace }), close: () => connection.close() };
}
