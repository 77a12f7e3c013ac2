import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/client.js';
import { listPromptPage, listPrompts, listRunPage, listRuns, searchRecords } from '../../src/db/queries/listings.js';
import type { Prompt, Run } from '../../src/db/schema.js';
import { openMigratedDb } from '../helpers/migrated-db.js';
import { seedPrompt, seedRun } from '../helpers/seed-records.js';

describe('listing and searching prompts and runs', () => {
  let db: Db;
  let close: () => Promise<void>;
  let harbour: Prompt;
  let street: Prompt;
  let oldRun: Run;
  let failedUpscale: Run;
  let recent: Run;

  beforeAll(async () => {
    ({ db, close } = await openMigratedDb());
    harbour = await seedPrompt(db, { name: 'foggy_harbour', promptText: 'A Foggy Harbour at dawn, 100% cinematic', createdAt: new Date('2024-01-01T00:00:00Z') });
    street = await seedPrompt(db, { name: 'rainy_street', promptText: 'a rainy street under_neon light', createdAt: new Date('2024-02-01T00:00:00Z') });
    oldRun = await seedRun(db, harbour.id, { status: 'completed', createdAt: new Date('2024-01-02T00:00:00Z'), gpuHost: 'a' });
    failedUpscale = await seedRun(db, harbour.id, { status: 'failed', modelType: 'upscale', createdAt: new Date('2024-03-01T00:00:00Z'), gpuHost: 'b' });
    recent = await seedRun(db, street.id, { status: 'running', stage: 'generating', progress: 0.5, gpuHost: 'a' });
  });
  afterAll(() => close?.());

  it('lists runs newest first with their prompt name and without the bulky columns', async () => {
    const runs = await listRuns(db);
    expect(runs.map((r) => r.id)).toEqual([recent.id, failedUpscale.id, oldRun.id]);
    expect(runs[0]).toMatchObject({ promptName: 'rainy_street', status: 'running', stage: 'generating', progress: 0.5 });
    expect(runs[0]).not.toHaveProperty('outputs');
    expect(runs[0]).not.toHaveProperty('executionConfig');
  });

  it('filters runs by status, model type, prompt, host and creation time, and honours the limit', async () => {
    expect((await listRuns(db, { status: 'failed' })).map((r) => r.id)).toEqual([failedUpscale.id]);
    expect((await listRuns(db, { modelType: 'transfer' })).map((r) => r.id)).toEqual([recent.id, oldRun.id]);
    expect((await listRuns(db, { promptId: harbour.id })).map((r) => r.id)).toEqual([failedUpscale.id, oldRun.id]);
    expect((await listRuns(db, { host: 'a', status: 'completed' })).map((r) => r.id)).toEqual([oldRun.id]);
    expect((await listRuns(db, { since: new Date('2024-02-15T00:00:00Z') })).map((r) => r.id)).toEqual([recent.id, failedUpscale.id]);
    expect(await listRuns(db, { limit: 1 })).toHaveLength(1);
  });

  it('lists prompts newest first with their run count', async () => {
    const prompts = await listPrompts(db);
    expect(prompts.map((p) => [p.id, p.runCount])).toEqual([[street.id, 1], [harbour.id, 2]]);
    expect((await listPrompts(db, { since: new Date('2024-01-15T00:00:00Z') })).map((p) => p.id)).toEqual([street.id]);
  });

  it('searches prompt text, name and id case-insensitively', async () => {
    expect((await searchRecords(db, 'fOGGY harbour')).prompts.map((p) => p.id)).toEqual([harbour.id]);
    expect((await searchRecords(db, 'RAINY_S')).prompts.map((p) => p.id)).toEqual([street.id]);
    expect((await searchRecords(db, street.id.slice(3, 15).toUpperCase())).prompts.map((p) => p.id)).toEqual([street.id]);
    expect((await searchRecords(db, recent.id.slice(5, 20))).runs.map((r) => r.id)).toEqual([recent.id]);
  });

  it('treats % and _ in the search text as the characters themselves', async () => {
    expect((await searchRecords(db, '100%')).prompts.map((p) => p.id)).toEqual([harbour.id]);
    expect((await searchRecords(db, 'under_neon')).prompts.map((p) => p.id)).toEqual([street.id]);
    expect((await searchRecords(db, 'rainy%street')).prompts).toEqual([]);
    expect((await searchRecords(db, 'foggy_harbour_x')).prompts).toEqual([]);
  });

  it('pages through runs created in the same millisecond without skipping or repeating one', async () => {
    const prompt = await seedPrompt(db, { name: 'paged', createdAt: new Date('2023-06-01T00:00:00Z') });
    // Microseconds apart in one millisecond, two of them equal: a cursor that kept only a JS Date's milliseconds
    // would skip rows, and one without the id would repeat or skip the tie.
    const ids: string[] = [];
    for (const micros of [100, 200, 300, 300, 400, 500, 600]) {
      const createdAt = sql`${`2023-06-01T00:00:00.000${micros}Z`}::timestamptz` as unknown as Date;
      ids.push((await seedRun(db, prompt.id, { gpuHost: 'paged-host', createdAt })).id);
    }
    const expected = (await listRuns(db, { host: 'paged-host' })).map((r) => r.id);
    expect(new Set(expected)).toEqual(new Set(ids));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listRunPage(db, { host: 'paged-host', limit: 2, ...(cursor ? { cursor } : {}) });
      expect(page.runs.length).toBeLessThanOrEqual(2);
      seen.push(...page.runs.map((r) => r.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(expected);
    expect((await listRunPage(db, { host: 'paged-host', limit: 7 })).nextCursor).toBeNull();
  });

  it('pages prompts and both lists of a search with one cursor each', async () => {
    const first = await listPromptPage(db, { limit: 1 });
    const second = await listPromptPage(db, { limit: 1, cursor: first.nextCursor! });
    expect([...first.prompts, ...second.prompts].map((p) => p.id)).toEqual((await listPrompts(db, { limit: 2 })).map((p) => p.id));
    const hex = recent.id.slice(3, 4);
    const all = await searchRecords(db, hex, { limit: 1000 });
    const paged: { prompts: string[]; runs: string[] } = { prompts: [], runs: [] };
    let cursor: string | undefined;
    do {
      const page = await searchRecords(db, hex, { limit: 1, ...(cursor ? { cursor } : {}) });
      paged.prompts.push(...page.prompts.map((p) => p.id));
      paged.runs.push(...page.runs.map((r) => r.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(paged).toEqual({ prompts: all.prompts.map((p) => p.id), runs: all.runs.map((r) => r.id) });
  });

  it('refuses a cursor it did not write', async () => {
    await expect(listRunPage(db, { cursor: 'bm9wZQ' })).rejects.toThrow(/cursor/);
    await expect(searchRecords(db, 'x', { cursor: 'bm9wZQ' })).rejects.toThrow(/cursor/);
  });
});
