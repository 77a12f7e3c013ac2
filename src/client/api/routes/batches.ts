import { Hono } from 'hono';
import { cancelWork, getBatch, startBatch, webUiLink, type ClientDeps } from '../../runs.js';
import { noQuery, readListQuery } from '../read-list-query.js';
import { pickBatchBody } from '../schemas.js';
import { takeRunFields } from '../../run-fields.js';
import { pathId, readBody } from '../validate.js';

export function batchRoutes(deps: ClientDeps): Hono {
  const app = new Hono();

  app.post('/', async (c) => {
    const { fields, rest } = takeRunFields(await readBody(c, pickBatchBody));
    const { batch, runs, workflowId } = await startBatch(deps, { ...(rest as Parameters<typeof startBatch>[1]), fields });
    return c.json({ batch, runs, workflowId, webUi: webUiLink(deps.config, workflowId) }, 201);
  });

  app.get('/:id', async (c) => {
    readListQuery(c, noQuery);
    return c.json(await getBatch(deps, pathId(c, 'bt', 'batch')));
  });

  app.post('/:id/cancel', async (c) => {
    const id = pathId(c, 'bt', 'batch');
    await getBatch(deps, id);
    await cancelWork(deps, id);
    return c.json(await getBatch(deps, id), 202);
  });

  return app;
}
