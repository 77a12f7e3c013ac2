import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../src/client/api/server.js';
import { findRun } from '../../src/db/queries/runs.js';
import { setFaults } from '../../simulator/faults.js';
import { countRows } from '../helpers/migrated-db.js';
import { demoInputs, makeUniqueInputs } from '../helpers/pipeline-harness.js';
import { createApiHarness, TOKEN, type ApiHarness } from './api-helpers.js';
import { launchChromium } from './chromium.js';

/** What a hostile page does with the victim's browser: every request a page may send without a CORS preflight. */
const attackerPage = `<!doctype html><html><body><iframe name="sink"></iframe><script>
const q = new URLSearchParams(location.search);
const api = q.get('api'), runId = q.get('run'), promptId = q.get('prompt'), videoDir = q.get('dir');
const sends = [
  fetch(api + '/prompts', { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'Content-Type': 'text/plain; application/json' },
    body: JSON.stringify({ text: 'planted by another site', videoDir }) }),
  fetch(api + '/runs', { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify({ promptId }) }),
  fetch(api + '/runs/' + runId + '/cancel', { method: 'POST', mode: 'no-cors', credentials: 'include' }),
];
navigator.sendBeacon(api + '/runs/' + runId + '/cancel');
const form = document.createElement('form');
Object.assign(form, { method: 'POST', action: api + '/runs/' + runId + '/cancel', target: 'sink', enctype: 'text/plain' });
document.body.append(form);
form.submit();
Promise.allSettled(sends).then(() => { document.title = 'sent'; });
</script></body></html>`;

describe('a page on another origin, in the same headless Chromium that holds the gallery session, changes nothing', () => {
  let api: ApiHarness;
  let server: ApiServer;
  let attacker: Server;
  let attackerPort: number;
  let chromium: { browser: BrowserContext; close(): Promise<void> };
  let runId: string;
  let promptId: string;
  const seen: { method: string; path: string; status: number; origin: string | null; withCookie: boolean }[] = [];

  beforeAll(async () => {
    api = await createApiHarness();
    // Records what reached the API and how it answered, to prove the attacks arrived and were refused.
    const recording = new Hono();
    recording.all('*', async (c) => {
      const response = await api.app.fetch(c.req.raw);
      seen.push({
        method: c.req.method, path: c.req.path, status: response.status, origin: c.req.header('origin') ?? null,
        withCookie: (c.req.header('cookie') ?? '').includes('cosmos_session_'),
      });
      return response;
    });
    server = await startApiServer(recording, { bind: '127.0.0.1', port: 0, token: TOKEN });
    attacker = createServer((_, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end(attackerPage));
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    attackerPort = (attacker.address() as AddressInfo).port;
    chromium = await launchChromium([`--host-resolver-rules=MAP rebind.test 127.0.0.1`]);

    await setFaults(api.h.simHome, [{ promptContains: 'never finishes', mode: 'hang' }]);
    const prompt = await api.call('POST', '/prompts', { body: { text: 'a fountain that never finishes its arc', videoDir: await makeUniqueInputs(api.h.dir) } });
    promptId = prompt.body.prompt.id;
    runId = (await api.call('POST', '/runs', { body: { promptId } })).body.run.id;
    await api.waitForRun(runId, ['running']);

    // The victim opens the gallery once: the page trades the token for the session cookie.
    const gallery = await chromium.browser.newPage();
    await gallery.goto(`${server.url}/#token=${TOKEN}`);
    await gallery.locator(`article[data-run-id="${runId}"]`).waitFor({ timeout: 30_000 });
    await gallery.close(); // its refreshes would mingle with the attacks below
  }, 240_000);
  afterAll(async () => {
    await chromium?.close();
    await new Promise((resolve) => attacker?.close(resolve));
    await server?.close();
    await api?.close();
  });

  it('gives the browser an HttpOnly, SameSite=Strict session cookie and no token to keep', async () => {
    const cookies = await chromium.browser.cookies(server.url);
    expect(cookies).toEqual([expect.objectContaining({ name: expect.stringMatching(/^cosmos_session_/), httpOnly: true, sameSite: 'Strict' })]);
    expect(cookies[0]!.value).not.toContain(TOKEN);
  });

  for (const [kind, host, cookieSent] of [['another port of the same host (same site, so the cookie goes along)', '127.0.0.1', true], ['another site', 'localhost', false]] as const) {
    it(`refuses text/plain JSON, a bodiless cancel, a beacon and a form post from ${kind}`, async () => {
      const before = await countRows(api.h.db);
      const from = seen.length;
      const page = await chromium.browser.newPage();
      const query = new URLSearchParams({ api: server.url, run: runId, prompt: promptId, dir: demoInputs });
      await page.goto(`http://${host}:${attackerPort}/?${query}`);
      await expect.poll(() => page.title(), { timeout: 15_000 }).toBe('sent');
      // The beacon and the form post leave on their own schedule.
      await expect.poll(() => seen.slice(from).filter((s) => s.method === 'POST' && s.path.endsWith('/cancel')).length, { timeout: 15_000 }).toBeGreaterThanOrEqual(3);
      await page.close();

      // (GETs are the gallery's media requests still in flight; the attacker page sends only POSTs.)
      const attacks = seen.slice(from).filter((a) => a.method !== 'GET');
      expect(attacks.filter((a) => a.origin !== `http://${host}:${attackerPort}`)).toEqual([]);
      expect(attacks.map((a) => `${a.method} ${a.path}`)).toEqual(expect.arrayContaining(['POST /prompts', 'POST /runs', `POST /runs/${runId}/cancel`]));
      expect(attacks.filter((a) => a.status < 400)).toEqual([]);
      // SameSite=Strict keeps the cookie from another site only; from the same site it is the Origin check that holds.
      expect(attacks.some((a) => a.withCookie)).toBe(cookieSent);
      expect(await countRows(api.h.db)).toEqual(before);
      expect((await findRun(api.h.db, runId))!.status).toBe('running');
    });
  }

  it('answers nothing to a page whose DNS name was rebound to the API\'s address', async () => {
    const before = await countRows(api.h.db);
    const page = await chromium.browser.newPage();
    const response = await page.goto(`http://rebind.test:${server.port}/`);
    expect(response!.status()).toBe(403);
    // From the browser's view this is the page's own origin, so it may read the answers; each is a refusal.
    const answers = await page.evaluate(async ({ runId, promptId }) => Promise.all([
      fetch('/runs').then((r) => r.status),
      fetch('/health').then((r) => r.status),
      fetch('/runs', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ promptId }) }).then((r) => r.status),
      fetch(`/runs/${runId}/cancel`, { method: 'POST' }).then((r) => r.status),
    ]), { runId, promptId });
    expect(answers).toEqual([403, 403, 403, 403]);
    await page.close();
    expect(await countRows(api.h.db)).toEqual(before);
    expect((await findRun(api.h.db, runId))!.status).toBe('running');
  });

  it('still lets the gallery page itself cancel the run, with the cookie and its own origin', async () => {
    const page = await chromium.browser.newPage();
    await page.goto(`${server.url}/`);
    await page.locator('body[data-loaded="true"]').waitFor({ timeout: 30_000 });
    const status = await page.evaluate(async (id) => (await fetch(`/runs/${id}/cancel`, { method: 'POST' })).status, runId);
    expect(status).toBe(202);
    expect(await api.waitForRun(runId)).toMatchObject({ status: 'cancelled' });
    await page.close();
  });
});
