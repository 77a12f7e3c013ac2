import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../src/client/api/create-api.js';
import { loadConfig } from '../../src/config.js';
import type { Prompt, Run } from '../../src/db/schema.js';
import { openMigratedDb } from '../helpers/migrated-db.js';
import { seedPrompt, seedRun } from '../helpers/seed-records.js';

describe('list, search and analytics routes', () => {
  let app: Hono;
  let dir: string;
  let close: () => Promise<void>;
  let prompt: Prompt;
  let runs: Run[];
  const get = async (path: string) => {
    const response = await app.request(path);
    return { status: response.status, body: await response.json() as any };
  };

  beforeAll(async () => {
    const opened = await openMigratedDb();
    close = opened.close;
    dir = await mkdtemp(join(tmpdir(), 'cosmos-api-listings-'));
    await writeFile(join(dir, 'cosmos.toml'), `data_dir = ${JSON.stringify(dir)}\n[database]\nurl = ${JSON.stringify(opened.url)}\n[temporal]\naddress = "127.0.0.1:1"\n`);
    const config = loadConfig({ COSMOS_CONFIG: join(dir, 'cosmos.toml') }, dir);
    // None of these routes reaches Temporal.
    app = createApi({ db: opened.db, temporal: {} as Client, config });
    prompt = await seedPrompt(opened.db, { name: 'paged_harbour', promptText: 'a harbour at dawn' });
    runs = [];
    for (let i = 0; i < 5; i++) runs.push(await seedRun(opened.db, prompt.id, { status: 'completed', gpuHost: 'h1' }));
  });
  afterAll(async () => {
    await close?.();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('pages runs, prompts and searches with the nextCursor of the page before', async () => {
    const first = await get('/runs?limit=3');
    expect(first.status).toBe(200);
    const second = await get(`/runs?limit=3&cursor=${encodeURIComponent(first.body.nextCursor)}`);
    expect([...first.body.runs, ...second.body.runs].map((r: Run) => r.id)).toEqual(runs.map((r) => r.id).reverse());
    expect(second.body.nextCursor).toBeNull();
    expect((await get('/prompts?limit=1')).body).toMatchObject({ prompts: [{ id: prompt.id, runCount: 5 }], nextCursor: null });
    const search = await get(`/prompts/search?q=${runs[0]!.id.slice(0, 3)}&limit=2`);
    expect(search.body.runs).toHaveLength(2);
    const more = await get(`/prompts/search?q=rs_&limit=2&cursor=${encodeURIComponent(search.body.nextCursor)}`);
    expect(more.body.runs.map((r: Run) => r.id)).toEqual([runs[2]!.id, runs[1]!.id]);
    const shown = await get(`/prompts/${prompt.id}`);
    expect(shown.body).toMatchObject({ nextRunsCursor: null });
    expect(shown.body.runs).toHaveLength(5);
    expect((await get(`/runs?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).body.runs).toEqual([]);
  });

  it('answers 400 naming an unknown filter instead of ignoring it', async () => {
    for (const path of ['/runs?rating=5', '/prompts?status=failed', '/prompts/search?q=x&host=a', '/analytics?day=7']) {
      const { status, body } = await get(path);
      const name = [...new URL(path, 'http://x').searchParams.keys()].at(-1)!;
      expect({ path, status, field: body.error?.fields?.[name] }).toEqual({ path, status: 400, field: expect.stringContaining('unknown parameter') });
    }
    expect((await get('/runs?status=failed&status=completed')).body.error.fields).toEqual({ status: 'given more than once' });
  });

  it('answers 400 for malformed filter values and cursors', async () => {
    for (const [path, field] of [
      ['/runs?status=done', 'status'], ['/runs?limit=abc', 'limit'], ['/runs?limit=0', 'limit'], ['/runs?promptId=ps_1', 'promptId'],
      ['/runs?since=yesterday', 'since'], ['/runs?cursor=bm9wZQ', 'cursor'], ['/prompts?cursor=x', 'cursor'], ['/prompts?modelType=Bad%20Type', 'modelType'],
      ['/prompts/search?q=', 'q'], ['/prompts/search?q=a&cursor=bm9wZQ', 'cursor'], ['/analytics?days=-1', 'days'], ['/analytics?days=1.5', 'days'],
    ] as const) {
      const { status, body } = await get(path);
      expect({ path, status, fields: Object.keys(body.error?.fields ?? {}) }).toEqual({ path, status: 400, fields: [field] });
    }
  });
});
