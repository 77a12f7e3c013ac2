import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../src/client/api/server.js';
import { demoInputs, projectRoot } from '../helpers/pipeline-harness.js';
import { createApiHarness, TOKEN, type ApiHarness } from './api-helpers.js';
import { launchChromium } from './chromium.js';

/** The part of HTMLVideoElement the test reads (the project compiles without the DOM library). */
interface VideoElement {
  readyState: number; videoWidth: number; duration: number; currentSrc: string; poster: string; error: { code: number; message: string } | null;
  dataset: { role?: string }; closest(selector: string): { getAttribute(name: string): string | null } | null;
}
declare const Image: new () => { src: string; naturalWidth: number; decode(): Promise<void> };
const artifacts = join(projectRoot, '.test-artifacts');
const BATCH = 19;

describe('the gallery page in headless Chromium', () => {
  let api: ApiHarness;
  let server: ApiServer;
  let chromium: { browser: BrowserContext; close(): Promise<void> };
  let singleRunId: string;
  let failedRunId: string;
  let runIds: string[];

  beforeAll(async () => {
    api = await createApiHarness({}, { sim: { timeScale: 0.001 } });
    server = await startApiServer(api.app, { bind: '127.0.0.1', port: 0, token: TOKEN });
    chromium = await launchChromium();
    // 21 runs: a batch of 19 (one container), a single inference, and one the guardrail blocks.
    const promptIds: string[] = [];
    for (let i = 0; i < BATCH; i++) {
      const prompt = await api.call('POST', '/prompts', { body: { text: `a lantern festival over a river, shot ${i}`, videoDir: demoInputs } });
      promptIds.push(prompt.body.prompt.id);
    }
    const batch = await api.call('POST', '/batches', { body: { promptIds } });
    expect(batch.status).toBe(201);
    const single = await api.call('POST', '/prompts', { body: { text: 'a tram crossing a snowy bridge at night', videoDir: demoInputs } });
    singleRunId = (await api.call('POST', '/runs', { body: { promptId: single.body.prompt.id } })).body.run.id;
    const blocked = await api.call('POST', '/prompts', { body: { text: 'a GUARDRAIL_BLOCKED_WORD in the rain', videoDir: demoInputs } });
    failedRunId = (await api.call('POST', '/runs', { body: { promptId: blocked.body.prompt.id } })).body.run.id;
    runIds = [...batch.body.runs.map((r: { id: string }) => r.id), singleRunId, failedRunId];
    const finished = await Promise.all(runIds.map((id) => api.waitForRun(id, undefined, 360_000)));
    expect(finished.filter((r) => r.status === 'completed')).toHaveLength(BATCH + 1);
    expect(finished.at(-1)).toMatchObject({ status: 'failed', failureKind: 'guardrail_blocked' });
    // The listing the page reads carries why a run failed.
    const listed = (await api.call('GET', '/runs?limit=24')).body.runs.find((r: { id: string }) => r.id === failedRunId);
    expect(listed).toMatchObject({ failureKind: 'guardrail_blocked', errorMessage: expect.stringMatching(/guardrail/i) });
  }, 480_000);
  afterAll(async () => {
    await chromium?.close();
    await server?.close();
    await api?.close();
  });

  it('loads every video of 21 runs with a poster frame, shows the failed run\'s kind, message and hint, rates a run, and saves a screenshot', async () => {
    const page = await chromium.browser.newPage();
    const failures: string[] = [];
    page.on('pageerror', (error) => failures.push(error.message));
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    await page.goto(`${server.url}/#token=${TOKEN}`);
    await page.locator('body[data-loaded="true"]').waitFor({ timeout: 30_000 });
    for (const id of runIds) await page.locator(`article[data-run-id="${id}"]`).waitFor({ timeout: 30_000 });
    expect(await page.locator('article.run').count()).toBeGreaterThanOrEqual(21);
    // The token left the address bar and was never in a request URL (media and streams use the cookie).
    expect(page.url()).toBe(`${server.url}/`);
    expect(requested.filter((url) => url.includes(TOKEN) || url.includes('access_token'))).toEqual([]);

    const videos = page.locator('video');
    const count = await videos.count();
    // Completed cards: the output, the input and the depth control; the failed card: the inputs.
    expect(count).toBeGreaterThanOrEqual((BATCH + 1) * 3 + 2);
    await expect.poll(async () => videos.evaluateAll((all: VideoElement[]) => all.filter((v) => v.readyState < 1).length), { timeout: 90_000, interval: 500 }).toBe(0);
    const media = await videos.evaluateAll(async (all: VideoElement[]) => Promise.all(all.map(async (v) => {
      let posterWidth = 0;
      if (v.poster) {
        const image = new Image();
        image.src = v.poster;
        await image.decode().catch(() => {});
        posterWidth = image.naturalWidth;
      }
      return { run: v.closest('article')?.getAttribute('data-run-id'), role: v.dataset.role, readyState: v.readyState, width: v.videoWidth, duration: v.duration, poster: v.poster, posterWidth, error: v.error?.message ?? null, src: v.currentSrc };
    })));
    const broken = media.filter((m) => m.readyState < 1 || m.error || !m.poster || m.posterWidth === 0 || m.width === 0 || !(m.duration > 0));
    expect(broken).toEqual([]);
    expect(media.filter((m) => m.role?.startsWith('output')).map((m) => m.poster)).toEqual(expect.arrayContaining([expect.stringMatching(/\/runs\/rs_\w+\/files\/output\.poster\.jpg$/)]));
    expect(media.filter((m) => m.role === 'input').every((m) => /\/prompts\/ps_\w+\/inputs\/video\/poster$/.test(m.poster))).toBe(true);

    const failed = page.locator(`article[data-run-id="${failedRunId}"]`);
    await expect.poll(async () => failed.locator('.hint').textContent()).not.toBe('');
    expect(await failed.locator('.status').textContent()).toBe('failed');
    expect(await failed.locator('.failure-kind').textContent()).toBe('guardrail_blocked');
    expect(await failed.locator('.failure-kind').isVisible()).toBe(true);
    expect(await failed.locator('.error-message').textContent()).toMatch(/guardrail/i);

    // Rating from the page goes through the API, with the cookie and its own Origin.
    const single = page.locator(`article[data-run-id="${singleRunId}"]`);
    await single.locator('.rating button').nth(3).click();
    await expect.poll(async () => (await api.call('GET', `/runs/${singleRunId}`)).body.run.rating).toBe(4);

    await mkdir(artifacts, { recursive: true });
    const shot = join(artifacts, 'gallery.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`[gallery] ${count} videos on ${runIds.length} runs, all loaded with posters; screenshot ${shot}`);
    expect((await stat(shot)).size).toBeGreaterThan(10_000);
    expect(failures).toEqual([]);
  });
});
