import { dirname, join } from 'node:path';
import { Hono } from 'hono';
import { createPrompt } from '../../../core/create-prompt.js';
import { findPrompt } from '../../../db/queries/prompts.js';
import { listPromptPage, listRunPage, searchRecords } from '../../../db/queries/listings.js';
import type { PromptInputs } from '../../../db/schema.js';
import { startEnhance, webUiLink, type ClientDeps } from '../../runs.js';
import { takeRunFields } from '../../run-fields.js';
import { ApiError, notFound } from '../errors.js';
import { createPromptBody, enhanceBody, listPromptsQuery, searchQuery } from '../schemas.js';
import { noQuery, readListQuery } from '../read-list-query.js';
import { serveFile } from '../serve-file.js';
import { pathId, readBody } from '../validate.js';

const inputRoles = ['video', 'depth', 'seg'] as const satisfies ReadonlyArray<keyof PromptInputs>;

export function promptRoutes(deps: ClientDeps): Hono {
  const app = new Hono();

  app.post('/', async (c) => {
    const body = await readBody(c, createPromptBody);
    const { prompt, created } = await createPrompt(deps.db, {
      text: body.text, videoDir: body.videoDir,
      ...(body.name !== undefined ? { name: body.name } : {}),
      ...(body.negativePrompt !== undefined ? { negativePrompt: body.negativePrompt } : {}),
    }, { negativePrompt: deps.config.defaults.negative_prompt, posterDir: join(deps.config.dataDir, 'posters') });
    return c.json({ prompt, created }, created ? 201 : 200);
  });

  app.get('/', async (c) => c.json(await listPromptPage(deps.db, readListQuery(c, listPromptsQuery))));

  app.get('/search', async (c) => {
    const { q, ...page } = readListQuery(c, searchQuery);
    return c.json(await searchRecords(deps.db, q, page));
  });

  app.get('/:id', async (c) => {
    readListQuery(c, noQuery);
    const id = pathId(c, 'ps', 'prompt');
    const prompt = await findPrompt(deps.db, id);
    if (!prompt) throw notFound(`prompt ${id}`);
    const inputs = Object.fromEntries(Object.entries(prompt.inputs).map(([role, file]) => [role, {
      ...file, url: `/prompts/${id}/inputs/${role}`, ...(file.poster ? { posterUrl: `/prompts/${id}/inputs/${role}/poster` } : {}),
    }]));
    // The newest 200; `GET /runs?promptId=…&cursor=<nextRunsCursor>` goes on from there.
    const { runs, nextCursor } = await listRunPage(deps.db, { promptId: id, limit: 200 });
    return c.json({ prompt: { ...prompt, inputs }, runs, nextRunsCursor: nextCursor });
  });

  // Only the files recorded on the prompt, looked up by role; nothing in the request becomes a path.
  const recordedInput = async (id: string, role: string) => {
    const prompt = await findPrompt(deps.db, id);
    if (!prompt) throw notFound(`prompt ${id}`);
    if (!inputRoles.includes(role as (typeof inputRoles)[number])) throw new ApiError(404, 'not_found', `inputs are ${inputRoles.join(', ')}`);
    const file = prompt.inputs[role as (typeof inputRoles)[number]];
    if (!file) throw notFound(`input "${role}" of prompt ${id}`);
    return file;
  };

  app.get('/:id/inputs/:role', async (c) => {
    const file = await recordedInput(pathId(c, 'ps', 'prompt'), c.req.param('role'));
    return serveFile(c, file, dirname(file.path));
  });

  app.get('/:id/inputs/:role/poster', async (c) => {
    const file = await recordedInput(pathId(c, 'ps', 'prompt'), c.req.param('role'));
    if (!file.poster) throw notFound(`a poster of input "${c.req.param('role')}"`);
    return serveFile(c, file.poster, dirname(file.poster.path), { checkHash: true });
  });

  app.post('/:id/enhance', async (c) => {
    const id = pathId(c, 'ps', 'prompt');
    const { fields, rest: body } = takeRunFields(await readBody(c, enhanceBody));
    const { run, workflowId } = await startEnhance(deps, { promptId: id, ...(body.host ? { host: body.host } : {}), fields });
    return c.json({ run, workflowId, webUi: webUiLink(deps.config, workflowId) }, 201);
  });

  return app;
}
