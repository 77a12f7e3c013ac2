import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, describe, expect, it } from 'vitest';
import { findTemporalBinary } from '../../src/services/temporal-binary.js';
import { startTemporalDevServer } from '../../src/services/temporal-dev-server.js';
import { CosmosRunId, cosmosSearchAttributes } from '../../src/workflows/search-attributes.js';

const root = mkdtempSync(join(tmpdir(), 'cosmos-temporal-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function withConnection<T>(address: string, use: (c: Connection) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address });
  try {
    return await use(connection);
  } finally {
    await connection.close();
  }
}

const customAttributes = (c: Connection, namespace: string) =>
  c.operatorService.listSearchAttributes({ namespace }).then((r) => r.customAttributes);
const retentionSeconds = (c: Connection, namespace: string) =>
  c.workflowService
    .describeNamespace({ namespace })
    .then((r) => Number(r.config?.workflowExecutionRetentionTtl?.seconds ?? 0));

describe('Temporal dev server', () => {
  it('starts with the Web UI, our search attributes and a retention above 24 h', async () => {
    const server = await startTemporalDevServer({
      dataDir: join(root, 'fresh'),
      uiPort: 0,
      searchAttributes: cosmosSearchAttributes,
    });
    try {
      await withConnection(server.address, async (c) => {
        const attributes = await customAttributes(c, 'default');
        for (const key of cosmosSearchAttributes) expect(attributes).toHaveProperty(key.name);
        expect(await retentionSeconds(c, 'default')).toBe(720 * 3600);
      });
      expect(server.uiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(server.uiUrl!)).status).toBe(200);
    } finally {
      await server.stop();
    }
  });

  it('keeps namespaces, attributes, retention and workflows when restarted on the same data dir', async () => {
    const dataDir = join(root, 'restart');
    const first = await startTemporalDevServer({
      dataDir,
      headless: true,
      namespace: 'restart-check',
      retention: '240h',
      searchAttributes: [CosmosRunId],
    });
    try {
      await withConnection(first.address, (connection) =>
        new Client({ connection, namespace: 'restart-check' }).workflow.start('notRegisteredAnywhere', {
          taskQueue: 'no-worker',
          workflowId: 'survives-restart',
          typedSearchAttributes: [{ key: CosmosRunId, value: 'rs_kept' }],
        }),
      );
    } finally {
      await first.stop();
    }

    // Like a database left by an earlier version: the second start must add the attributes it lacks.
    const second = await startTemporalDevServer({ dataDir, headless: true, searchAttributes: cosmosSearchAttributes });
    try {
      await withConnection(second.address, async (c) => {
        expect(await retentionSeconds(c, 'restart-check')).toBe(240 * 3600);
        expect(await customAttributes(c, 'restart-check')).toHaveProperty('CosmosRunId');
        const defaults = await customAttributes(c, 'default');
        for (const key of cosmosSearchAttributes) expect(defaults).toHaveProperty(key.name);
        const handle = new Client({ connection: c, namespace: 'restart-check' }).workflow.getHandle('survives-restart');
        const described = await handle.describe();
        expect(described.status.name).toBe('RUNNING');
        expect(described.typedSearchAttributes.get(CosmosRunId)).toBe('rs_kept');
        await handle.terminate('test done');
      });
    } finally {
      await second.stop();
    }
  });

  it('refuses a port that another server already uses instead of talking to that server', async () => {
    const blocker = await startTemporalDevServer({ dataDir: join(root, 'blocker'), headless: true, searchAttributes: [] });
    try {
      const port = Number(blocker.address.split(':')[1]);
      await expect(
        startTemporalDevServer({ dataDir: join(root, 'clash'), headless: true, port, searchAttributes: [] }),
      ).rejects.toThrow(/is not free/);
    } finally {
      await blocker.stop();
    }
  });

  it('fails with the server output when the dev server exits during start', async () => {
    const dataDir = join(root, 'corrupt');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'temporal.db'), 'this is not a sqlite database '.repeat(200));
    await expect(startTemporalDevServer({ dataDir, headless: true, searchAttributes: [] })).rejects.toThrow(
      /exited \(\d+\) before it was ready:\n.*\S/,
    );
  });
});

describe('findTemporalBinary', () => {
  it('prefers COSMOS_TEMPORAL_BIN and rejects a path that is not executable', () => {
    const previous = process.env.COSMOS_TEMPORAL_BIN;
    const fake = join(root, 'not-executable');
    writeFileSync(fake, '');
    chmodSync(fake, 0o644);
    try {
      process.env.COSMOS_TEMPORAL_BIN = fake;
      expect(() => findTemporalBinary()).toThrow(/not an executable/);
      delete process.env.COSMOS_TEMPORAL_BIN;
      expect(findTemporalBinary()).toMatch(/temporal$/);
    } finally {
      if (previous === undefined) delete process.env.COSMOS_TEMPORAL_BIN;
      else process.env.COSMOS_TEMPORAL_BIN = previous;
    }
  });
});
