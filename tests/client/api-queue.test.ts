import { eq } from 'drizzle-orm';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../src/client/api/create-api.js';
import type { QueueReport } from '../../src/client/queue.js';
import { allHosts } from '../../src/db/queries/gpu-queue.js';
import { gpuHostControls } from '../../src/db/schema.js';
import { createPipelineHarness, type PipelineHarness } from '../helpers/pipeline-harness.js';
import { seedQueue, type SeededQueue } from '../helpers/seed-queue.js';

const TOKEN = 'test-token-0123456789abcdef';

/** GET /queue, POST /queue/pause|resume and POST /hosts/:name/drain|undrain on a seeded queue (no worker). */
describe('the GPU queue over the API', () => {
  let h: PipelineHarness;
  let app: Hono;
  let q: SeededQueue;
  let wide: string;
  let narrow: string;
  const call = async (method: string, path: string, options: { body?: unknown; headers?: Record<string, string>; auth?: boolean } = {}) => {
    const response = await app.request(path, {
      method,
      headers: {
        ...(options.auth === false ? {} : { Authorization: `Bearer ${TOKEN}` }),
        ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...options.headers,
      },
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    return { status: response.status, body: await response.json() as any, headers: response.headers };
  };
  const control = async (host: string) => (await h.db.select().from(gpuHostControls).where(eq(gpuHostControls.host, host)))[0];

  beforeAll(async () => {
    h = await createPipelineHarness({ transport: 'local', sim: { gpus: 2 }, host: { gpus: [0, 1] }, moreHosts: [{ gpus: [0] }] });
    [wide, narrow] = h.hosts.map((x) => x.name) as [string, string];
    app = createApi({ db: h.db, temporal: h.temporal, config: { ...h.config, api: { ...h.config.api, token: TOKEN } } });
    q = await seedQueue(h.db, wide, narrow);
  });
  afterAll(() => h?.close());

  it('GET /queue answers the report cosmos queue --json prints: running jobs, then waiting ones by position with estimates', async () => {
    const { status, body } = await call('GET', '/queue') as { status: number; body: QueueReport };
    expect(status).toBe(200);
    expect(body.running.map((j) => [j.jobKey, j.host, j.estimatedSeconds])).toEqual([[q.runningA, wide, 200], [q.runningB, wide, 200]]);
    expect(body.waiting.map((j) => [j.position, j.jobKey, j.priority, j.pinnedHost, j.estimatedHost])).toEqual([
      [1, q.waitingE, 5, null, wide], [2, q.waitingC, 0, null, narrow], [3, q.waitingD, 0, narrow, narrow],
    ]);
    expect(body.waiting[1]!.estimatedWaitSeconds).toBeLessThan(5);
    expect(body.waiting[2]!.estimatedWaitSeconds).toBeGreaterThan(190);
    expect((await call('GET', '/queue?host=x')).status).toBe(400);
  });

  it('POST /queue/pause and /resume set the whole queue\'s row, or one host\'s from the body or the query, and say what changed', async () => {
    expect(await call('POST', '/queue/pause')).toMatchObject({ status: 200, body: { host: '*', paused: true, changed: true, running: 2, waiting: 3 } });
    expect(await control(allHosts)).toMatchObject({ paused: true });
    expect((await call('GET', '/queue')).body.paused).toBe(true);
    expect(await call('POST', '/queue/pause', { body: {} })).toMatchObject({ status: 200, body: { changed: false } });
    expect(await call('POST', '/queue/resume')).toMatchObject({ status: 200, body: { host: '*', paused: false, changed: true } });

    expect(await call('POST', '/queue/pause', { body: { host: narrow } })).toMatchObject({ status: 200, body: { host: narrow, paused: true, running: 0, waiting: 2 } });
    expect(await control(narrow)).toMatchObject({ paused: true });
    expect(await control(allHosts)).toMatchObject({ paused: false });
    expect(await call('POST', `/queue/resume?host=${narrow}`)).toMatchObject({ status: 200, body: { host: narrow, paused: false, changed: true } });
    expect(await control(narrow)).toMatchObject({ paused: false });
  });

  it('refuses an unknown host, a host given twice differently and unknown keys, changing nothing', async () => {
    const unknown = await call('POST', '/queue/pause', { body: { host: 'nope' } });
    expect(unknown).toMatchObject({ status: 400, body: { error: { code: 'invalid_request', message: `GPU host "nope" is not configured (known: ${wide}, ${narrow})`, fields: { host: expect.any(String) } } } });
    expect(await call('POST', `/queue/pause?host=${wide}`, { body: { host: narrow } })).toMatchObject({ status: 400, body: { error: { fields: { host: expect.any(String) } } } });
    expect(await call('POST', '/queue/pause', { body: { hots: wide } })).toMatchObject({ status: 400 });
    expect(await call('POST', '/queue/pause?everything=1')).toMatchObject({ status: 400 });
    expect(await control('nope')).toBeUndefined();
    expect((await control(wide))?.paused ?? false).toBe(false);
  });

  it('POST /hosts/:name/drain keeps the running jobs and starts nothing new there; undrain takes work again; an unknown host is 404', async () => {
    expect(await call('POST', `/hosts/${wide}/drain`)).toMatchObject({ status: 200, body: { host: wide, drained: true, changed: true, running: 2, waiting: 2 } });
    expect(await control(wide)).toMatchObject({ drained: true });
    expect((await call('GET', '/queue')).body.waiting[0]).toMatchObject({ jobKey: q.waitingE, estimatedStartAt: null });
    expect(await call('POST', `/hosts/${wide}/undrain`)).toMatchObject({ status: 200, body: { host: wide, drained: false, changed: true } });
    expect(await control(wide)).toMatchObject({ drained: false });
    expect(await call('POST', '/hosts/gpu-x/drain')).toMatchObject({ status: 404, body: { error: { code: 'not_found', message: expect.stringContaining(`(known: ${wide}, ${narrow})`) } } });
    expect(await call('POST', `/hosts/${wide}/drain`, { body: { now: true } })).toMatchObject({ status: 400 });
  });

  it('needs the token like every other route, and refuses a cookie-carried change another page sent', async () => {
    for (const [method, path] of [['GET', '/queue'], ['POST', '/queue/pause'], ['POST', '/queue/resume'], ['POST', `/hosts/${wide}/drain`]] as const) {
      expect(await call(method, path, { auth: false }), path).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
    }
    const session = await app.request('/session', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token: TOKEN }) });
    const cookie = session.headers.get('set-cookie')!.split(';')[0]!;
    expect(await call('POST', '/queue/pause', { auth: false, headers: { Cookie: cookie } })).toMatchObject({ status: 403, body: { error: { code: 'cross_site_request' } } });
    expect((await control(allHosts))?.paused).toBe(false);
  });

  it('the OpenAPI document lists the queue and host routes', async () => {
    const doc = await (await app.request('/openapi.json')).json() as any;
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/queue', '/queue/pause', '/queue/resume', '/hosts/{name}/drain', '/hosts/{name}/undrain']));
    expect(doc.paths['/queue/pause'].post.requestBody).toMatchObject({ required: false });
    expect(doc.paths['/queue/pause'].post.parameters).toEqual([expect.objectContaining({ name: 'host', in: 'query', required: false })]);
    expect(doc.paths['/hosts/{name}/drain'].post.parameters).toEqual([expect.objectContaining({ name: 'name', in: 'path' })]);
  });
});
