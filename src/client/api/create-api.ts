import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ClientDeps } from '../runs.js';
import { createAuth } from './auth.js';
import { guardBrowserRequests } from './browser-boundary.js';
import { ApiError, errorResponse, toApiError } from './errors.js';
import { buildOpenApiDocument } from './openapi.js';
import { analyticsRoutes } from './routes/analytics.js';
import { batchRoutes } from './routes/batches.js';
import { galleryRoutes } from './routes/gallery.js';
import { healthRoutes } from './routes/health.js';
import { hostRoutes, type HostStatusSource } from './routes/hosts.js';
import { promptRoutes } from './routes/prompts.js';
import { queueRoutes } from './routes/queue.js';
import { runRoutes } from './routes/runs.js';
import { shareIdenticalReads } from './share-identical-reads.js';

export interface ApiOptions {
  /** Largest accepted request body; bigger ones get 413. */
  maxBodyBytes?: number;
  /** How often an event stream looks for new progress and log lines. */
  pollIntervalMs?: number;
  /** Event streams open at once; one more gets 503. */
  maxEventStreams?: number;
  /** GPU status for `GET /hosts`. */
  hosts?: HostStatusSource;
  /** Unexpected errors (500s) go here; the client only sees "internal error". */
  logError?: (error: unknown) => void;
}

/**
 * The HTTP API as a Hono app. The token comes from `deps.config.api.token` (the entry points always set one);
 * without one every route is open to this site's own pages, which `startApiServer` allows on loopback only.
 *
 * @example
 * const app = createApi({ db, temporal, config });
 * const res = await app.request('/runs?status=running', { headers: { Authorization: `Bearer ${token}` } });
 */
export function createApi(deps: ClientDeps, options: ApiOptions = {}): Hono {
  const { maxBodyBytes = 256 * 1024, pollIntervalMs = 500, maxEventStreams = 64, logError = (error) => console.error(error) } = options;
  const app = new Hono();
  const openApi = buildOpenApiDocument();

  app.onError((error, c) => {
    const apiError = toApiError(error);
    if (apiError.status >= 500) logError(error);
    return errorResponse(c, apiError);
  });
  app.notFound((c) => errorResponse(c, new ApiError(404, 'not_found', `no route for ${c.req.method} ${c.req.path}`)));

  const auth = createAuth(deps.config.api.token);
  app.use('*', guardBrowserRequests({ bind: deps.config.api.bind, allowedHosts: deps.config.api.allowed_hosts }));
  const limitBody = bodyLimit({
    maxSize: maxBodyBytes,
    onError: (c) => errorResponse(c, new ApiError(413, 'body_too_large', `the request body is larger than ${maxBodyBytes} bytes`)),
  });
  // No GET or HEAD route reads a body, and looking for one makes the node adapter build a full Request per read
  // (about 40 % of a shared read's CPU under 200 concurrent reads).
  app.use('*', (c, next) => (c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : limitBody(c, next)));
  app.route('/', galleryRoutes());
  app.route('/health', healthRoutes(deps, (c) => auth.identify(c) !== null));
  app.get('/openapi.json', (c) => c.json(openApi));
  app.route('/session', auth.sessionRoutes());

  app.use('*', auth.require);
  app.use('*', shareIdenticalReads());

  app.route('/prompts', promptRoutes(deps));
  app.route('/runs', runRoutes(deps, { pollIntervalMs, maxEventStreams, logError }));
  app.route('/batches', batchRoutes(deps));
  app.route('/hosts', hostRoutes(deps, options.hosts));
  app.route('/queue', queueRoutes(deps));
  app.route('/analytics', analyticsRoutes(deps));
  return app;
}
