import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../src/client/api/create-api.js';
import { startApiServer, type ApiServer } from '../../src/client/api/server.js';
import { findRun } from '../../src/db/queries/runs.js';
import { setFaults } from '../../simulator/faults.js';
import { countRows } from '../helpers/migrated-db.js';
import { makeUniqueInputs } from '../helpers/pipeline-harness.js';
import { createApiHarness, TOKEN, type ApiHarness } from './api-helpers.js';
import { rawRequest } from './http-request.js';

describe('the API refuses what a web page on another site could send it (real server, real stack)', () => {
  let api: ApiHarness;
  let server: ApiServer;
  let named: ApiServer;
  let hangingRunId: string;
  let promptId: string;
  let cookie: string;
  const bearer = { Authorization: `Bearer ${TOKEN}` };

  beforeAll(async () => {
    api = await createApiHarness();
    server = await startApiServer(api.app, { bind: '127.0.0.1', port: 0, token: TOKEN });
    const withName = { ...api.config, api: { ...api.config.api, allowed_hosts: ['cosmos.example.test'] } };
    named = await startApiServer(createApi({ db: api.h.db, temporal: api.h.temporal, config: withName }), { bind: '127.0.0.1', port: 0, token: TOKEN });
    await setFaults(api.h.simHome, [{ promptContains: 'never finishes', mode: 'hang' }]);
    const inputs = await makeUniqueInputs(api.h.dir);
    const prompt = await api.call('POST', '/prompts', { body: { text: 'a clock tower that never finishes striking', videoDir: inputs } });
    promptId = prompt.body.prompt.id;
    const started = await api.call('POST', '/runs', { body: { promptId } });
    hangingRunId = started.body.run.id;
    await api.waitForRun(hangingRunId, ['running']);
    const session = await fetch(`${server.url}/session`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token: TOKEN }) });
    cookie = String(session.headers.get('set-cookie')).split(';')[0]!;
  });
  afterAll(async () => {
    await named?.close();
    await server?.close();
    await api?.close();
  });

  const unchanged = async (before: { prompts: number; runs: number }) => {
    expect(await countRows(api.h.db)).toEqual(before);
    expect((await findRun(api.h.db, hangingRunId))!.status).toBe('running');
  };

  it('refuses a body typed "text/plain; application/json" (no preflight in a browser) with 415 and writes nothing', async () => {
    const before = await countRows(api.h.db);
    const body = JSON.stringify({ text: 'a page made me do it', videoDir: '/tmp' });
    for (const type of ['text/plain; application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json, text/plain', 'application/jsonp']) {
      const res = await rawRequest(`${server.url}/prompts`, { method: 'POST', headers: { ...bearer, 'Content-Type': type }, body });
      expect({ type, status: res.status, code: res.body.error?.code }).toEqual({ type, status: 415, code: 'unsupported_media_type' });
    }
    const noType = await rawRequest(`${server.url}/runs`, { method: 'POST', headers: bearer, body: JSON.stringify({ promptId }) });
    expect(noType.status).toBe(415);
    await unchanged(before);
    // The exact type (with or without charset) still works.
    const ok = await rawRequest(`${server.url}/runs/${hangingRunId}/rating`, { method: 'PUT', headers: { ...bearer, 'Content-Type': 'application/json; charset=utf-8' }, body: '{"rating": 3}' });
    expect(ok).toMatchObject({ status: 400, body: { error: { message: expect.stringContaining('only completed runs can be rated') } } });
  });

  it('refuses a bodiless cancel carried by the session cookie alone, or sent from another origin, and cancels nothing', async () => {
    const before = await countRows(api.h.db);
    const cancel = (headers: Record<string, string>) => rawRequest(`${server.url}/runs/${hangingRunId}/cancel`, { method: 'POST', headers });
    const refused: { name: string; headers: Record<string, string>; status: number }[] = [
      { name: 'no credentials at all', headers: {}, status: 401 },
      { name: 'cookie, no same-origin signal', headers: { Cookie: cookie }, status: 403 },
      { name: 'cookie, Origin of another site', headers: { Cookie: cookie, Origin: 'http://evil.example' }, status: 403 },
      { name: 'cookie, Origin of another port', headers: { Cookie: cookie, Origin: `http://127.0.0.1:${server.port + 1}` }, status: 403 },
      { name: 'cookie, Sec-Fetch-Site cross-site', headers: { Cookie: cookie, 'Sec-Fetch-Site': 'cross-site' }, status: 403 },
      { name: 'cookie, Sec-Fetch-Site same-site', headers: { Cookie: cookie, 'Sec-Fetch-Site': 'same-site', Origin: `http://localhost:${server.port + 1}` }, status: 403 },
      { name: 'token, but Origin of another site', headers: { ...bearer, Origin: 'http://evil.example' }, status: 403 },
      { name: 'cookie, Origin "null" (sandboxed frame)', headers: { Cookie: cookie, Origin: 'null' }, status: 403 },
    ];
    for (const attempt of refused) {
      const res = await cancel(attempt.headers);
      expect({ name: attempt.name, status: res.status }).toEqual({ name: attempt.name, status: attempt.status });
    }
    await sleep(500);
    await unchanged(before);
    expect(await rawRequest(`${server.url}/runs?status=running`, { headers: { Cookie: cookie, 'Sec-Fetch-Site': 'cross-site' } })).toMatchObject({ status: 403 });

    // Our own page's request: the cookie plus its own Origin.
    const own = await cancel({ Cookie: cookie, Origin: server.url, 'Sec-Fetch-Site': 'same-origin' });
    expect(own.status).toBe(202);
    expect(await api.waitForRun(hangingRunId)).toMatchObject({ status: 'cancelled' });
  });

  it('answers only to its own address and configured names, so a rebound DNS name reaches nothing', async () => {
    const { port } = server;
    for (const host of ['rebind.attacker.example', `rebind.attacker.example:${port}`, `localhost.attacker.example:${port}`, '10.1.2.3']) {
      for (const path of ['/runs', '/', '/health']) {
        const res = await rawRequest(`${server.url}${path}`, { headers: { ...bearer, Host: host } });
        expect({ host, path, status: res.status, code: res.body.error?.code }).toEqual({ host, path, status: 403, code: 'unknown_host' });
      }
    }
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) {
      expect({ host, status: (await rawRequest(`${server.url}/runs`, { headers: { ...bearer, Host: host } })).status }).toEqual({ host, status: 200 });
    }
    expect((await rawRequest(`${named.url}/runs`, { headers: { ...bearer, Host: `cosmos.example.test:${named.port}` } })).status).toBe(200);
    expect((await rawRequest(`${named.url}/runs`, { headers: { ...bearer, Host: 'other.example.test' } })).status).toBe(403);
  });

  it('trades the token once for an HttpOnly, SameSite=Strict session cookie; a wrong token gets none, and ?access_token= opens nothing', async () => {
    const wrong = await rawRequest(`${server.url}/session`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token: 'not-the-token-at-all' }) });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    const right = await rawRequest(`${server.url}/session`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token: TOKEN }) });
    expect(right.status).toBe(204);
    const setCookie = String(right.headers['set-cookie']);
    expect(setCookie).toMatch(/^cosmos_session_[0-9a-f]{12}=\d+\.[\w-]{43}; /);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).not.toContain(TOKEN);

    expect((await rawRequest(`${server.url}/runs`, { headers: { Cookie: cookie } })).status).toBe(200);
    expect((await rawRequest(`${server.url}/runs?access_token=${TOKEN}`)).status).toBe(401);
    const forged = cookie.replace(/=(\d+)\./, (_, expiry: string) => `=${Number(expiry) + 1}.`);
    expect((await rawRequest(`${server.url}/runs`, { headers: { Cookie: forged } })).status).toBe(401);
    // A cookie made for another token (another stack on this machine) opens nothing here.
    const other = cookie.replace(/^cosmos_session_[0-9a-f]{12}/, 'cosmos_session_000000000000');
    expect((await rawRequest(`${server.url}/runs`, { headers: { Cookie: other } })).status).toBe(401);

    // Signing out clears the cookie in the browser.
    const out = await rawRequest(`${server.url}/session`, { method: 'DELETE', headers: { Cookie: cookie, Origin: server.url } });
    expect(out.status).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/^cosmos_session_[0-9a-f]{12}=; .*Max-Age=0/);
  });

  it('tells an unauthenticated /health caller only ok or not ok, and an authenticated one what answers', async () => {
    const open = await rawRequest(`${server.url}/health`);
    expect(open).toMatchObject({ status: 200, body: { ok: true } });
    expect(Object.keys(open.body)).toEqual(['ok']);
    expect((await rawRequest(`${server.url}/health`, { headers: bearer })).body).toEqual({ ok: true, database: 'ok', temporal: 'ok' });
    expect((await rawRequest(`${server.url}/health`, { headers: { Cookie: cookie } })).body).toEqual({ ok: true, database: 'ok', temporal: 'ok' });
  });
});
