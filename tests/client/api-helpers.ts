import { setTimeout as sleep } from 'node:timers/promises';
import type { Hono } from 'hono';
import { createApi, type ApiOptions } from '../../src/client/api/create-api.js';
import { createHostStatusReader } from '../../src/client/api/host-status-source.js';
import type { Config } from '../../src/config.js';
import { findRun } from '../../src/db/queries/runs.js';
import type { Run } from '../../src/db/schema.js';
import { createPipelineHarness, type HarnessOptions, type PipelineHarness } from '../helpers/pipeline-harness.js';

export const TOKEN = 'test-token-0123456789abcdef';

export interface ApiHarness {
  h: PipelineHarness;
  app: Hono;
  config: Config;
  /** JSON in, JSON (or text) out, with the token unless `auth: false`. */
  call(method: string, path: string, options?: { body?: unknown; raw?: string; headers?: Record<string, string>; auth?: boolean }): Promise<{ status: number; body: any; headers: Headers }>;
  waitForRun(runId: string, statuses?: string[], timeoutMs?: number): Promise<Run>;
  close(): Promise<void>;
}

/** The real stack of the pipeline harness (worker started) behind a token-protected API app. */
export async function createApiHarness(options: ApiOptions = {}, harness: Partial<HarnessOptions> = {}): Promise<ApiHarness> {
  const h = await createPipelineHarness({ transport: 'local', ...harness });
  await h.startWorker();
  const config: Config = { ...h.config, api: { ...h.config.api, token: TOKEN } };
  const hosts = createHostStatusReader(config, h.db);
  const app = createApi({ db: h.db, temporal: h.temporal, config }, { hosts: hosts.read, ...options });
  return {
    h, app, config,
    async call(method, path, { body, raw, headers = {}, auth = true } = {}) {
      const response = await app.request(path, {
        method,
        headers: {
          ...(auth ? { Authorization: `Bearer ${TOKEN}` } : {}),
          ...(body !== undefined || raw !== undefined ? { 'Content-Type': 'application/json' } : {}),
          ...headers,
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : raw !== undefined ? { body: raw } : {}),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // Not JSON (a file or an event stream): keep the text.
      }
      return { status: response.status, body: parsed, headers: response.headers };
    },
    async waitForRun(runId, statuses = ['completed', 'failed', 'cancelled'], timeoutMs = 90_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const run = await findRun(h.db, runId);
        if (run && statuses.includes(run.status)) return run;
        if (Date.now() > deadline) throw new Error(`run ${runId} is still ${run?.status} after ${timeoutMs / 1000} s`);
        await sleep(200);
      }
    },
    async close() {
      await hosts.close();
      await h.close();
    },
  };
}
