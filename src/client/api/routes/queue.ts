import { Hono } from 'hono';
import { buildQueueReport, setQueuePaused, type QueueDeps } from '../../queue.js';
import { ApiError } from '../errors.js';
import { noQuery, readListQuery } from '../read-list-query.js';
import { queueControlBody, queueControlQuery } from '../schemas.js';
import { readBody } from '../validate.js';

/** The GPU queue as `cosmos queue` shows it, and its pause: no new leases (running jobs go on). */
export function queueRoutes(deps: QueueDeps): Hono {
  const app = new Hono();

  app.get('/', async (c) => {
    readListQuery(c, noQuery);
    return c.json(await buildQueueReport(deps));
  });

  for (const action of ['pause', 'resume'] as const) {
    app.post(`/${action}`, async (c) => {
      const query = readListQuery(c, queueControlQuery);
      const body = await readBody(c, queueControlBody);
      if (query.host !== undefined && body.host !== undefined && query.host !== body.host) {
        throw new ApiError(400, 'invalid_request', `host: given as ${query.host} in the query and ${body.host} in the body`, { host: 'given twice, differently' });
      }
      return c.json(await setQueuePaused(deps, body.host ?? query.host, action === 'pause'));
    });
  }

  return app;
}
