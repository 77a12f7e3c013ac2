import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { inject } from 'vitest';
import { startInference } from '../../src/client/runs.js';
import { connectTemporal } from '../../src/client/temporal.js';
import { loadConfig } from '../../src/config.js';
import { createPrompt } from '../../src/core/create-prompt.js';
import { InputError } from '../../src/core/input-error.js';
import type { Db } from '../../src/db/client.js';
import { demoInputs } from '../helpers/pipeline-harness.js';
import { countRows, openMigratedDb } from '../helpers/migrated-db.js';

describe('startInference input checks', () => {
  let db: Db;
  let temporal: { client: Client; close(): Promise<void> };
  let close: () => Promise<void>;
  let promptId: string;
  const config = loadConfig({ COSMOS_CONFIG: '' }, '/nonexistent-cwd');

  beforeAll(async () => {
    ({ db, close } = await openMigratedDb());
    temporal = await connectTemporal({ address: inject('temporalAddress'), namespace: 'default' });
    promptId = (await createPrompt(db, { text: 'checks', videoDir: demoInputs }, { negativePrompt: 'n' })).prompt.id;
  });
  afterAll(async () => {
    await temporal?.close();
    await close?.();
  });

  const cases: [string, () => Parameters<typeof startInference>[1], RegExp][] = [
    ['an unknown prompt id', () => ({ promptId: `ps_${'0'.repeat(32)}` }), /does not exist/],
    ['something that is not a prompt id', () => ({ promptId: 'ps_../../etc/passwd' }), /not a prompt id/],
    ['a weight above 1', () => ({ promptId, params: { weights: { vis: 1.5 } } }), /weights\.vis: must be between 0 and 1/],
    ['a negative weight', () => ({ promptId, params: { weights: { depth: -0.1 } } }), /weights\.depth/],
    ['a NaN weight', () => ({ promptId, params: { weights: { edge: Number.NaN } } }), /weights\.edge/],
    ['a fractional seed', () => ({ promptId, params: { seed: 1.5 } }), /seed/],
    ['sigma_max above 80', () => ({ promptId, params: { sigma_max: 81 } }), /sigma_max/],
    ['an unknown GPU host', () => ({ promptId, host: 'nope' }), /GPU host "nope" is not configured/],
  ];
  it.each(cases)('rejects %s with a clear error and writes no run', async (_what, request, message) => {
    const before = await countRows(db);
    const error = await startInference({ db, temporal: temporal.client, config }, request()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(message);
    expect(await countRows(db)).toEqual(before);
  });
});
