import { Hono } from 'hono';
import { noQuery, readListQuery } from '../read-list-query.js';

/** Reads every configured GPU host's status; supplied by the entry point, which owns the host connections. */
export type HostStatusSource = () => Promise<unknown[]>;

export function hostRoutes(source: HostStatusSource | undefined): Hono {
  const app = new Hono();
  app.get('/', async (c) => {
    readListQuery(c, noQuery);
    return c.json({ hosts: source ? await source() : [] });
  });
  return app;
}
