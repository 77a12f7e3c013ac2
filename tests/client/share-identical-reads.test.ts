import { Hono } from 'hono';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { shareIdenticalReads } from '../../src/client/api/share-identical-reads.js';

function appCounting() {
  const calls = { list: 0, file: 0, cookie: 0 };
  let value = 'before';
  const app = new Hono();
  app.use('*', shareIdenticalReads());
  app.get('/runs', async (c) => {
    calls.list += 1;
    const seen = value;
    await sleep(50);
    return c.json({ value: seen, call: calls.list });
  });
  app.post('/runs', async (c) => {
    value = 'after';
    return c.json({ ok: true });
  });
  app.get('/file', async (c) => {
    calls.file += 1;
    await sleep(50);
    return c.body('bytes', 200, { 'content-type': 'video/mp4' });
  });
  app.get('/cookie', async (c) => {
    const n = ++calls.cookie;
    await sleep(50);
    c.header('set-cookie', `s=${n}`);
    return c.json({ n });
  });
  return { app, calls };
}

const get = async (app: Hono, path: string, init?: RequestInit): Promise<Response> => app.request(path, init);

describe('identical reads in flight share one answer', () => {
  it('answers 50 identical concurrent GETs with one computation and the same body', async () => {
    const { app, calls } = appCounting();
    const answers = await Promise.all(Array.from({ length: 50 }, () => get(app, '/runs').then((r) => r.json())));
    expect(calls.list).toBe(1);
    expect(new Set(answers.map((a: unknown) => JSON.stringify(a))).size).toBe(1);
  });

  it('computes again for a read that starts after the shared one finished', async () => {
    const { app, calls } = appCounting();
    await app.request('/runs');
    await app.request('/runs');
    expect(calls.list).toBe(2);
  });

  it('never hands a read sent after a write an answer computed before the write', async () => {
    const { app, calls } = appCounting();
    const early = get(app, '/runs');
    await sleep(5);
    await app.request('/runs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const late = await get(app, '/runs').then((r) => r.json() as Promise<{ value: string }>);
    expect((await (await early).json() as { value: string }).value).toBe('before');
    expect(late.value).toBe('after');
    expect(calls.list).toBe(2);
  });

  it('does not share files or answers that set a cookie', async () => {
    const { app, calls } = appCounting();
    await Promise.all(Array.from({ length: 5 }, () => app.request('/file')));
    const cookies = await Promise.all(Array.from({ length: 5 }, () => get(app, '/cookie').then((r) => r.headers.get('set-cookie'))));
    expect(calls.file).toBe(5);
    expect(calls.cookie).toBe(5);
    expect(new Set(cookies).size).toBe(5);
  });
});
