import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { connectTemporal } from '../../src/client/temporal.js';
import { startTemporalDevServer, type TemporalDevServer } from '../../src/services/temporal-dev-server.js';

const root = mkdtempSync(join(tmpdir(), 'cosmos-temporal-client-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A Temporal client whose server goes away while its calls are in flight. */
describe('a Temporal client connection', () => {
  let server: TemporalDevServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('retries a call through a server restart and answers once the server is back', async () => {
    const dataDir = join(root, 'restart');
    server = await startTemporalDevServer({ dataDir, headless: true, searchAttributes: [] });
    const port = Number(server.address.split(':').pop());
    const temporal = await connectTemporal({ address: server.address, namespace: 'default' });
    try {
      await server.stop();
      const call = temporal.client.workflowService.describeNamespace({ namespace: 'default' });
      await sleep(500);
      server = await startTemporalDevServer({ dataDir, headless: true, port, searchAttributes: [] });
      const answer = await call;
      expect(answer.namespaceInfo?.name).toBe('default');
    } finally {
      await temporal.close();
    }
  });

  it('closes while a call waits to retry: the call fails at once and nothing throws later', async () => {
    server = await startTemporalDevServer({ dataDir: join(root, 'close'), headless: true, searchAttributes: [] });
    const temporal = await connectTemporal({ address: server.address, namespace: 'default' });
    const uncaught: unknown[] = [];
    const record = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', record);
    try {
      await server.stop();
      server = undefined;
      const call = temporal.client.workflowService.describeNamespace({ namespace: 'default' }).then(() => 'answered', (error: Error) => error);
      // Long enough for several attempts, so the next one waits on a backoff timer when the connection closes.
      await sleep(1_500);
      const closing = Date.now();
      await temporal.close();
      const outcome = await call;
      expect(outcome).toBeInstanceOf(Error);
      expect(Date.now() - closing).toBeLessThan(1_000);
      // Past the longest backoff (5 s): a retry timer left behind would have fired by now.
      await sleep(6_000);
      expect(uncaught.map(String)).toEqual([]);
    } finally {
      process.off('uncaughtException', record);
    }
  });
});
