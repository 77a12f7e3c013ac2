import { hash, timingSafeEqual } from 'node:crypto';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { ApiError } from './errors.js';
import { hasSameOriginSignal, isUnsafeMethod } from './request-origin.js';
import { createSessionCookie } from './session-cookie.js';
import { readBody } from './validate.js';

// The one-shot hash: a Hash object per request was a sixth of a shared read's CPU.
const digest = (value: string) => hash('sha256', value, 'buffer');

/** How a request proved who it is: the token in `Authorization`, the gallery's session cookie, or no token is set. */
export type AuthMethod = 'bearer' | 'cookie' | 'open';

export interface ApiAuth {
  /** The method, or null for a request that is not authenticated (a wrong bearer token counts as none). */
  identify(c: Context): AuthMethod | null;
  /** Every route behind it needs a method; a cookie (or no token) is honoured only for this site's own pages. */
  require: MiddlewareHandler;
  /** `POST /session {token}` trades the token once for the cookie; `DELETE /session` drops it. */
  sessionRoutes(): Hono;
}

export const sessionBody = z.object({ token: z.string().min(1).max(1024) }).strict();

export function createAuth(token: string | undefined): ApiAuth {
  const expected = token ? digest(token) : null;
  const session = token ? createSessionCookie(token) : null;
  // Comparing digests keeps the comparison constant-time whatever the lengths.
  const isToken = (given: string) => expected !== null && timingSafeEqual(digest(given), expected);
  const bearerOf = (c: Context) => /^Bearer\s+(.+)$/i.exec(c.req.header('authorization') ?? '')?.[1];

  const identify = (c: Context): AuthMethod | null => {
    if (!expected) return 'open';
    const bearer = bearerOf(c);
    if (bearer !== undefined) return isToken(bearer) ? 'bearer' : null;
    return session!.verify(c.req.header('cookie')) ? 'cookie' : null;
  };

  const require: MiddlewareHandler = async function requireAuth(c, next) {
    const method = identify(c);
    if (method === null) {
      const given = bearerOf(c) !== undefined;
      c.header('WWW-Authenticate', given ? 'Bearer realm="cosmos", error="invalid_token"' : 'Bearer realm="cosmos"');
      throw new ApiError(401, 'unauthorized', given ? 'wrong bearer token' : 'missing bearer token (Authorization: Bearer <token>, or open the gallery URL with #token=)');
    }
    if (method !== 'bearer') {
      // The browser attaches the cookie by itself, so only a request our own page made may use it.
      const site = c.req.header('sec-fetch-site');
      if (site === 'cross-site' || site === 'same-site') throw new ApiError(403, 'cross_site_request', 'requests from another site are refused');
      if (isUnsafeMethod(c.req.method) && !hasSameOriginSignal(c)) {
        throw new ApiError(403, 'cross_site_request', 'a state-changing request needs the bearer token or a same-origin Origin header');
      }
    }
    await next();
  };

  return {
    identify,
    require,
    sessionRoutes() {
      const app = new Hono();
      app.post('/', async (c) => {
        const body = await readBody(c, sessionBody);
        if (!session || !isToken(body.token)) throw new ApiError(401, 'unauthorized', 'wrong token');
        c.header('Set-Cookie', session.issue());
        c.header('Cache-Control', 'no-store');
        return c.body(null, 204);
      });
      app.delete('/', (c) => {
        if (session) c.header('Set-Cookie', session.clear());
        return c.body(null, 204);
      });
      return app;
    },
  };
}
