import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../src/client/api/server.js';
import { demoInputs, projectRoot } from '../helpers/pipeline-harness.js';
import { createApiHarness, TOKEN, type ApiHarness } from './api-helpers.js';

const CHROMIUM = '/usr/bin/chromium';

/** The part of HTMLVideoElement the test reads (the project compiles without the DOM library). */
interface VideoElement {
  readyState: number; videoWidth: number; videoHeight: number; duration: number; currentSrc: string;
  error: { code: number } | null; onloadedmetadata: unknown; onerror: unknown; canPlayType(type: string): string;
}
const artifacts = join(projectRoot, '.test-artifacts');

describe('the gallery page in headless Chromium', () => {
  let api: ApiHarness;
  let server: ApiServer;
  let browser: BrowserContext;
  let profile: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
    api = await createApiHarness();
    server = await startApiServer(api.app, { bind: '127.0.0.1', port: 0, token: TOKEN });
    profile = await mkdtemp(join(tmpdir(), 'cosmos-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await api?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  it('shows a completed run with a playable output video beside its input videos, and saves a screenshot', async () => {
    const prompt = await api.call('POST', '/prompts', { body: { text: 'a tram crossing a snowy bridge at night', videoDir: demoInputs } });
    const started = await api.call('POST', '/runs', { body: { promptId: prompt.body.prompt.id } });
    const runId: string = started.body.run.id;
    await api.waitForRun(runId);

    const page = await browser.newPage();
    const failures: string[] = [];
    page.on('pageerror', (error) => failures.push(error.message));
    await page.goto(`${server.url}/#token=${TOKEN}`);
    const card = page.locator(`article[data-run-id="${runId}"][data-status="completed"]`);
    await card.waitFor({ timeout: 30_000 });
    const output = card.locator('video[data-role^="output"]');
    await output.waitFor();
    // Playable: Chromium fetched and decoded enough of the MP4 to know its size and length.
    const media = await output.evaluate(async (video: VideoElement) => {
      if (video.readyState < 1) await new Promise((resolve, reject) => { video.onloadedmetadata = resolve; video.onerror = () => reject(new Error(`media error ${video.error?.code}`)); });
      return { width: video.videoWidth, height: video.videoHeight, duration: video.duration, src: video.currentSrc, canPlay: video.canPlayType('video/mp4') };
    });
    expect(media.src).toContain(`/runs/${runId}/files/output.mp4`);
    expect(media.width).toBeGreaterThan(0);
    expect(media.duration).toBeGreaterThan(0);
    expect(await card.locator('video[data-role="input"]').count()).toBe(1);
    expect(await card.locator('video[data-role="depth control"]').count()).toBe(1);
    expect(await card.locator('.status').textContent()).toBe('completed');

    // Rating from the page goes through the API.
    await card.locator('.rating button').nth(3).click();
    await expect.poll(async () => (await api.call('GET', `/runs/${runId}`)).body.run.rating).toBe(4);

    await mkdir(artifacts, { recursive: true });
    const shot = join(artifacts, 'gallery.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect((await stat(shot)).size).toBeGreaterThan(10_000);
    expect(failures).toEqual([]);
  });
});
