import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { ApiError } from './errors.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Bearer-token check. `<video src>` and `EventSource` cannot send headers, so GET requests may carry the
 * token as `?access_token=` (RFC 6750 §2.3) instead.
 */
export function bearerToken(token: string): MiddlewareHandler {
  const expected = digest(token);
  return async function bearerToken(c, next) {
    const header = c.req.header('authorization') ?? '';
    const fromHeader = /^Bearer\s+(.+)$/i.exec(header)?.[1];
    const fromQuery = c.req.method === 'GET' || c.req.method === 'HEAD' ? c.req.query('access_token') : undefined;
    const given = fromHeader ?? fromQuery;
    if (given === undefined) {
      c.header('WWW-Authenticate', 'Bearer realm="cosmos"');
      throw new ApiError(401, 'unauthorized', 'missing bearer token (Authorization: Bearer <token>)');
    }
    // Comparing digests keeps the comparison constant-time whatever the lengths.
    if (!timingSafeEqual(digest(given), expected)) {
      c.header('WWW-Authenticate', 'Bearer realm="cosmos", error="invalid_token"');
      throw new ApiError(401, 'unauthorized', 'wrong bearer token');
    }
    await next();
  };
}
