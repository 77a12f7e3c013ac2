import type { MiddlewareHandler } from 'hono';
import { ApiError } from './errors.js';
import { isAllowedHost, isSameOrigin, isUnsafeMethod, requestHost } from './request-origin.js';

export interface BoundaryOptions { bind: string; allowedHosts: readonly string[] }

/** `application/json`, optionally with `charset=utf-8`: anything else (`text/plain; application/json`) is not JSON. */
export function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined) return false;
  const [type, ...params] = header.split(';').map((part) => part.trim().toLowerCase());
  return type === 'application/json' && params.every((param) => param === 'charset=utf-8' || param === 'charset="utf-8"');
}

/**
 * Runs before every route. A `Host` that is not this server (DNS rebinding) is refused; so is a state-changing
 * request that another origin sent (`Origin`, `Sec-Fetch-Site`) or whose body type a cross-site form or
 * no-cors fetch could produce without a preflight.
 */
export function guardBrowserRequests(options: BoundaryOptions): MiddlewareHandler {
  return async function guardBrowserRequests(c, next) {
    if (!isAllowedHost(requestHost(c), options.bind, options.allowedHosts)) {
      throw new ApiError(403, 'unknown_host', `this server does not answer to the host "${requestHost(c)}" (add it to [api] allowed_hosts)`);
    }
    if (isUnsafeMethod(c.req.method)) {
      const site = c.req.header('sec-fetch-site');
      if ((site !== undefined && site !== 'same-origin' && site !== 'none') || (c.req.header('origin') !== undefined && !isSameOrigin(c))) {
        throw new ApiError(403, 'cross_site_request', 'state-changing requests from another site are refused');
      }
      const type = c.req.header('content-type');
      if (type !== undefined && !isJsonContentType(type)) {
        throw new ApiError(415, 'unsupported_media_type', 'send the body as application/json (exactly)');
      }
    }
    await next();
  };
}
