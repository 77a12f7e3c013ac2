import { Hono } from 'hono';
import { z } from 'zod';
import { describeFailureHint } from '../../../core/failure-hints.js';
import { rateRun } from '../../../core/rate-run.js';
import { listRunPage } from '../../../db/queries/listings.js';
import { listRunEventsAfter } from '../../../db/queries/events.js';
import { findRun } from '../../../db/queries/runs.js';
import type { Run } from '../../../db/schema.js';
import { cancelWork, retryRun, startInference, startRun, startUpscale, webUiLink, type ClientDeps } from '../../runs.js';
import { ApiError, notFound } from '../errors.js';
import { takeRunFields } from '../../run-fields.js';
import { listRunsQuery, pickRunBody, rateBody, retryBody, startModelRunBody, upscaleBody } from '../schemas.js';
import { readListQuery } from '../read-list-query.js';
import { serveFile } from '../serve-file.js';
import { pathId, readBody, readQuery } from '../validate.js';
import { createStreamLimit, MAX_EVENT_ID, streamRunEvents } from './run-events.js';
import type { RecordedFile } from '../open-recorded-file.js';

export interface RunRouteOptions { pollIntervalMs: number; maxEventStreams: number; logError?: (error: unknown) => void }

/** `?events=1` pages through the run's progress events: `eventsAfter` is the last id of the page before. */
const runQuery = z.object({
  events: z.enum(['0', '1']).optional(),
  eventsAfter: z.coerce.number().int().min(0).max(MAX_EVENT_ID).default(0),
  eventsLimit: z.coerce.number().int().min(1).max(1000).default(500),
});

/** Files a client may fetch: those recorded in the outputs, plus the log of a run that has one. */
function recordedFiles(run: Run): Map<string, RecordedFile> {
  const files = new Map<string, RecordedFile>();
  if (run.outputs?.logPath) files.set('run.log', { path: run.outputs.logPath });
  for (const file of run.outputs?.files ?? []) files.set(file.name, { path: file.path, bytes: file.bytes, sha256: file.sha256 });
  return files;
}

export function describeRun(deps: ClientDeps, run: Run) {
  return {
    run,
    files: [...recordedFiles(run).keys()].map((name) => ({ name, url: `/runs/${run.id}/files/${encodeURIComponent(name)}` })),
    hint: run.failureKind ? describeFailureHint(run.failureKind) : null,
    webUi: run.workflowId ? webUiLink(deps.config, run.workflowId) : null,
  };
}

export function runRoutes(deps: ClientDeps, options: RunRouteOptions): Hono {
  const app = new Hono();
  const streams = createStreamLimit(options.maxEventStreams);
  const requireRun = async (id: string) => {
    const run = await findRun(deps.db, id);
    if (!run) throw notFound(`run ${id}`);
    return run;
  };

  app.post('/', async (c) => {
    const raw = await readBody(c, pickRunBody);
    if ('modelType' in raw) {
      const { fields, rest } = takeRunFields(raw as z.infer<typeof startModelRunBody>);
      const { run, workflowId } = await startRun(deps, { ...rest, fields });
      return c.json({ ...describeRun(deps, run), workflowId }, 201);
    }
    const { fields, rest: body } = takeRunFields(raw);
    const { run, workflowId } = await startInference(deps, {
      promptId: body.promptId, fields,
      ...(body.params ? { params: body.params } : {}),
      ...(body.host ? { host: body.host } : {}),
      ...(body.enhance ? { enhance: true } : {}),
      ...(body.upscale ? { upscale: body.upscale } : {}),
    });
    return c.json({ ...describeRun(deps, run), workflowId }, 201);
  });

  app.get('/', async (c) => {
    return c.json(await listRunPage(deps.db, readListQuery(c, listRunsQuery)));
  });

  app.get('/:id', async (c) => {
    const query = readListQuery(c, runQuery);
    const run = await requireRun(pathId(c, 'rs', 'run'));
    if (query.events !== '1') return c.json(describeRun(deps, run));
    const page = await listRunEventsAfter(deps.db, run.id, query.eventsAfter, query.eventsLimit + 1);
    const events = page.slice(0, query.eventsLimit);
    const nextEventsAfter = page.length > query.eventsLimit ? events.at(-1)!.id : null;
    return c.json({ ...describeRun(deps, run), events, nextEventsAfter });
  });

  app.post('/:id/cancel', async (c) => {
    const id = pathId(c, 'rs', 'run');
    await requireRun(id);
    await cancelWork(deps, id);
    return c.json(describeRun(deps, await requireRun(id)), 202);
  });

  app.put('/:id/rating', async (c) => {
    const id = pathId(c, 'rs', 'run');
    const body = await readBody(c, rateBody);
    return c.json(describeRun(deps, await rateRun(deps.db, id, body.rating)));
  });

  app.post('/:id/upscale', async (c) => {
    const id = pathId(c, 'rs', 'run');
    const { fields, rest } = takeRunFields(await readBody(c, upscaleBody));
    const { run, workflowId } = await startUpscale(deps, { runId: id, ...rest, fields });
    return c.json({ ...describeRun(deps, run), workflowId }, 201);
  });

  app.post('/:id/retry', async (c) => {
    const id = pathId(c, 'rs', 'run');
    const { fields, rest: body } = takeRunFields(await readBody(c, retryBody));
    const { run, workflowId } = await retryRun(deps, { runId: id, ...(body.host ? { host: body.host } : {}), fields });
    return c.json({ ...describeRun(deps, run), workflowId }, 201);
  });

  app.get('/:id/events', async (c) => {
    const run = await requireRun(pathId(c, 'rs', 'run'));
    const release = streams.take();
    return streamRunEvents(c, deps, run, { pollIntervalMs: options.pollIntervalMs, release, ...(options.logError ? { logError: options.logError } : {}) });
  });

  app.get('/:id/files/:name', async (c) => {
    const run = await requireRun(pathId(c, 'rs', 'run'));
    const file = recordedFiles(run).get(c.req.param('name'));
    if (!file || !run.outputs) throw new ApiError(404, 'not_found', `run ${run.id} has no file "${c.req.param('name')}"`);
    return serveFile(c, file, run.outputs.runDir, { checkHash: true });
  });

  return app;
}
