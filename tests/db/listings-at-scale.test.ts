import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { migrateDb, type Db } from '../../src/db/client.js';
import { summarizeRuns } from '../../src/db/queries/analytics.js';
import { findBatch, listBatchRuns } from '../../src/db/queries/batches.js';
import { listPromptPage, listRunPage, searchRecords } from '../../src/db/queries/listings.js';
import { listChildRuns, listRunsOfPrompt } from '../../src/db/queries/maintenance.js';
import { findRun, listRetriesOfRun, listRunEvents } from '../../src/db/queries/runs.js';
import * as schema from '../../src/db/schema.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { seedAtScale, type ScaleSample } from '../helpers/seed-at-scale.js';

interface PlanNode { 'Node Type': string; 'Relation Name'?: string; Plans?: PlanNode[] }

const DAY = 86_400_000;

// The tables that grow with use; the analytics rollups grow with days and are meant to be read whole.
const bigTables = new Set(['runs', 'prompts']);

/** Every big table a plan reads with a sequential scan. */
function sequentialScans(node: PlanNode): string[] {
  const own = node['Node Type'] === 'Seq Scan' && bigTables.has(node['Relation Name'] ?? '') ? [node['Relation Name']!] : [];
  return [...own, ...(node.Plans ?? []).flatMap(sequentialScans)];
}

describe('listings at 100 000 runs and 20 000 prompts', () => {
  let testDb: TestDatabase;
  let sql: postgres.Sql;
  let db: Db;
  let sample: ScaleSample;
  // The statements the named query functions send, captured so EXPLAIN reads exactly those.
  const sent: Array<{ query: string; params: unknown[] }> = [];

  beforeAll(async () => {
    testDb = await createTestDatabase(inject('databaseUrl'));
    await migrateDb(testDb.url);
    sample = await seedAtScale(testDb.url, { prompts: 20_000, runs: 100_000 });
    sql = postgres(testDb.url, { max: 4, onnotice: () => {} });
    db = drizzle(sql, { schema, logger: { logQuery: (query, params) => sent.push({ query, params }) } });
  }, 120_000);
  afterAll(async () => {
    await sql?.end();
    await testDb?.drop();
  });

  /** Runs the query function, then EXPLAINs each statement it sent and returns the tables read sequentially. */
  async function scansOf(run: () => Promise<unknown>): Promise<string[]> {
    sent.length = 0;
    await run();
    expect(sent.length).toBeGreaterThan(0);
    const scans: string[] = [];
    for (const { query, params } of [...sent]) {
      const [row] = await sql.unsafe(`explain (format json) ${query}`, params as postgres.ParameterOrJSON<never>[]);
      const plan = (row!['QUERY PLAN'] as Array<{ Plan: PlanNode }>)[0]!.Plan;
      scans.push(...sequentialScans(plan));
    }
    return scans;
  }

  it('lists runs with every filter, sort and page through indexes, never reading all of runs or prompts', async () => {
    const second = (await listRunPage(db, {})).nextCursor!;
    const failedSecond = (await listRunPage(db, { status: 'failed' })).nextCursor!;
    const filters = [
      {}, { cursor: second }, { limit: 200 }, { status: 'failed' as const }, { status: 'running' as const }, { status: 'failed' as const, cursor: failedSecond },
      { modelType: 'upscale' }, { promptId: sample.promptId }, { batchId: sample.batchId }, { host: 'h100-3' },
      { since: new Date(Date.now() - 7 * DAY) }, { status: 'completed' as const, host: 'h100-3', modelType: 'transfer' },
      { status: 'pending' as const, since: new Date(Date.now() - 30 * DAY) },
    ];
    for (const filter of filters) {
      expect({ filter, scans: await scansOf(() => listRunPage(db, filter)) }).toEqual({ filter, scans: [] });
    }
  });

  it('lists prompts with every filter and page through indexes', async () => {
    const second = (await listPromptPage(db, {})).nextCursor!;
    for (const filter of [{}, { cursor: second }, { modelType: 'enhance' }, { since: new Date(Date.now() - 7 * DAY) }, { limit: 200 }]) {
      expect({ filter, scans: await scansOf(() => listPromptPage(db, filter)) }).toEqual({ filter, scans: [] });
    }
  });

  it('searches prompt text, names and ids and run ids through trigram indexes, also for a word that matches nothing', async () => {
    const found = await searchRecords(db, sample.promptWord);
    expect(found.prompts.length).toBe(50);
    expect((await searchRecords(db, sample.runIdFragment)).runs.map((r) => r.id)).toEqual([sample.runId]);
    expect(await searchRecords(db, 'zebra')).toEqual({ prompts: [], runs: [], nextCursor: null });
    for (const text of [sample.promptWord, 'zebra', sample.runIdFragment, 'harbour dawn', 'rs_']) {
      expect({ text, scans: await scansOf(() => searchRecords(db, text)) }).toEqual({ text, scans: [] });
    }
    expect(await scansOf(() => searchRecords(db, sample.promptWord, { cursor: found.nextCursor! }))).toEqual([]);
  });

  it('computes analytics for a year from the daily rollups without reading all runs', async () => {
    const year = await summarizeRuns(db, new Date(Date.now() - 365 * DAY));
    expect(year.byModelType.reduce((sum, m) => sum + m.total, 0)).toBe(100_000);
    expect(year.runsPerDay.length).toBeGreaterThan(350);
    for (const days of [365, 30, 1]) {
      expect({ days, scans: await scansOf(() => summarizeRuns(db, new Date(Date.now() - days * DAY))) }).toEqual({ days, scans: [] });
    }
  });

  it('shows a run, a prompt and a batch through indexes', async () => {
    const lookups: Array<[string, () => Promise<unknown>]> = [
      ['findRun', () => findRun(db, sample.runId)], ['listRunEvents', () => listRunEvents(db, sample.runId)],
      ['listChildRuns', () => listChildRuns(db, sample.runId)], ['listRetriesOfRun', () => listRetriesOfRun(db, sample.runId)],
      ['listRunsOfPrompt', () => listRunsOfPrompt(db, sample.promptId)], ['findBatch', () => findBatch(db, sample.batchId)],
      ['listBatchRuns', () => listBatchRuns(db, sample.batchId)],
    ];
    for (const [name, lookup] of lookups) expect({ name, scans: await scansOf(lookup) }).toEqual({ name, scans: [] });
  });
});
