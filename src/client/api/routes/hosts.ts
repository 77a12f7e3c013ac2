import { Hono } from 'hono';
import { setHostDrained, type QueueDeps } from '../../queue.js';
import { noQuery, readListQuery } from '../read-list-query.js';
import { readBody } from '../validate.js';

/** Reads every configured GPU host's status; supplied by the entry point, which owns the host connections. */
export type HostStatusSource = () => Promise<unknown[]>;

export function hostRoutes(deps: QueueDeps, source: HostStatusSource | undefined): Hono {
  const app = new Hono();
  app.get('/', async (c) => {
    readListQuery(c, noQuery);
    return c.json({ hosts: source ? await source() : [] });
  });

  // Drain: the host finishes the jobs holding its GPUs and is given no new ones; undrain: it takes work again.
  for (const action of ['drain', 'undrain'] as const) {
    app.post(`/:name/${action}`, async (c) => {
      readListQuery(c, noQuery);
      await readBody(c, noQuery.strict());
      return c.json(await setHostDrained(deps, c.req.param('name'), action === 'drain'));
    });
  }
  return app;
}
