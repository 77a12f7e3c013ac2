import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../src/client/api/server.js';
import { demoInputs } from '../helpers/pipeline-harness.js';
import { seedRun } from '../helpers/seed-records.js';
import { createApiHarness, TOKEN, type ApiHarness } from './api-helpers.js';
import { collectEvents } from './sse-events.js';

describe('event streams and event listings stay bounded (real stack)', () => {
  let api: ApiHarness;
  let server: ApiServer;
  let runId: string;
  const logged: unknown[] = [];
  const auth = { Authorization: `Bearer ${TOKEN}` };

  beforeAll(async () => {
    api = await createApiHarness({ pollIntervalMs: 100, maxEventStreams: 2, logError: (error) => logged.push(error) });
    server = await startApiServer(api.app, { bind: '127.0.0.1', port: 0, token: TOKEN });
    const prompt = await api.call('POST', '/prompts', { body: { text: 'a kettle coming to the boil', videoDir: demoInputs } });
    const started = await api.call('POST', '/runs', { body: { promptId: prompt.body.prompt.id } });
    runId = started.body.run.id;
    expect((await api.waitForRun(runId)).status).toBe('completed');
  });
  afterAll(async () => {
    await server?.close();
    await api?.close();
  });

  const open = (id: string, lastEventId?: string, signal?: AbortSignal) =>
    fetch(`${server.url}/runs/${id}/events`, { headers: { ...auth, ...(lastEventId !== undefined ? { 'Last-Event-ID': lastEventId } : {}) }, ...(signal ? { signal } : {}) });

  it('refuses a Last-Event-ID that is a float, signed, hex or beyond a Postgres integer with 400, and logs no error', async () => {
    for (const id of ['0.99999999999999999999999', '1e23.0', '2147483648.0', '99999999999.5', '-1.0', '0x1.0', '5', '5.5.5']) {
      const res = await open(runId, id);
      expect({ id, status: res.status, code: ((await res.json()) as any).error?.code }).toEqual({ id, status: 400, code: 'invalid_request' });
    }
    expect(logged).toEqual([]);
  });

  it('ends a finished run\'s stream with its end event from any valid cursor, the cursor never going back', async () => {
    const all = await collectEvents(await open(runId));
    expect(all.at(-1)).toMatchObject({ event: 'end', data: { status: 'completed' } });
    const logEnd = Number(all.at(-1)!.id.split('.')[1]);
    for (const cursor of ['0.0', '1.1', `${all[3]!.id}`, `2147483647.${logEnd}`, '2147483647.9007199254740991']) {
      const started = Date.now();
      const events = await collectEvents(await open(runId, cursor));
      expect({ cursor, last: events.at(-1)?.event }).toEqual({ cursor, last: 'end' });
      expect(Date.now() - started).toBeLessThan(5_000);
      const [eventFrom, logFrom] = cursor.split('.').map(Number) as [number, number];
      for (const event of events) {
        const [eventId, offset] = event.id.split('.').map(Number) as [number, number];
        expect(eventId).toBeGreaterThanOrEqual(eventFrom);
        expect(offset).toBeGreaterThanOrEqual(logFrom);
      }
      // Past the end of the log: nothing of it is sent again.
      if (logFrom >= logEnd) expect(events.filter((e) => e.event === 'log')).toEqual([]);
    }
    expect(logged).toEqual([]);
  });

  it('holds at most the configured number of streams: one more is 503, and a closed one gives its slot back', async () => {
    const live = await seedRun(api.h.db, (await api.call('GET', `/runs/${runId}`)).body.run.promptId, { status: 'running', stage: 'generating' });
    const first = new AbortController();
    const second = new AbortController();
    const a = await open(live.id, undefined, first.signal);
    const b = await open(live.id, undefined, second.signal);
    expect([a.status, b.status]).toEqual([200, 200]);
    const third = await open(live.id);
    expect(third.status).toBe(503);
    expect(((await third.json()) as any).error).toMatchObject({ code: 'too_many_streams' });
    first.abort();
    await a.body?.cancel().catch(() => {});
    // The server notices the closed connection at its next write (a poll at most later).
    let again = 0;
    for (const deadline = Date.now() + 5_000; Date.now() < deadline && again !== 200;) {
      const res = await open(live.id);
      again = res.status;
      await res.body?.cancel();
      if (again !== 200) await sleep(200);
    }
    expect(again).toBe(200);
    second.abort();
  });

  it('pages through a run\'s event listing: at most eventsLimit per page, nextEventsAfter until the last page', async () => {
    const everything = (await api.call('GET', `/runs/${runId}?events=1`)).body;
    expect(everything.nextEventsAfter).toBeNull();
    const ids = everything.events.map((e: { id: number }) => e.id);
    expect(ids.length).toBeGreaterThan(4);
    const paged: number[] = [];
    let after = 0;
    for (let pages = 0; pages < 50; pages++) {
      const page = (await api.call('GET', `/runs/${runId}?events=1&eventsLimit=3&eventsAfter=${after}`)).body;
      expect(page.events.length).toBeLessThanOrEqual(3);
      paged.push(...page.events.map((e: { id: number }) => e.id));
      if (page.nextEventsAfter === null) break;
      after = page.nextEventsAfter;
    }
    expect(paged).toEqual(ids);
    for (const bad of ['eventsLimit=0', 'eventsLimit=1001', 'eventsAfter=-1', 'eventsAfter=2147483648', 'eventsLimit=1.5']) {
      expect({ bad, status: (await api.call('GET', `/runs/${runId}?events=1&${bad}`)).status }).toEqual({ bad, status: 400 });
    }
  });
});
