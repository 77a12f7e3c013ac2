import { sql } from 'drizzle-orm';
import { Hono, type Context } from 'hono';
import type { ClientDeps } from '../../runs.js';

const withTimeout = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref())]);

/**
 * 200 when Postgres and Temporal both answer, 503 otherwise. Only an authenticated caller learns which one failed
 * and why: the messages name internal addresses.
 */
export function healthRoutes(deps: ClientDeps, isAuthenticated: (c: Context) => boolean): Hono {
  const app = new Hono();
  app.get('/', async (c) => {
    const check = (probe: () => Promise<unknown>) =>
      withTimeout(probe(), 3000).then(() => 'ok', (error: unknown) => `unreachable: ${(error as Error).message}`);
    const [database, temporal] = await Promise.all([
      check(() => deps.db.execute(sql`select 1`)),
      check(() => deps.temporal.workflowService.getSystemInfo({})),
    ]);
    const ok = database === 'ok' && temporal === 'ok';
    return c.json(isAuthenticated(c) ? { ok, database, temporal } : { ok }, ok ? 200 : 503);
  });
  return app;
}
