import type { MiddlewareHandler } from 'hono';

/**
 * Bytes and a plain header object: the node adapter writes such a Response straight to the socket, where an
 * ArrayBuffer body is read back through a web stream (a timer hop per request under load).
 */
interface SharedAnswer { status: number; headers: Record<string, string>; body: Uint8Array }

/**
 * Identical GETs that arrive while one of them is being answered share its JSON answer instead of each running the
 * same queries (a page of 200 dashboards polling `/runs` costs one query, not 200). Only requests that are already
 * authenticated reach this, and every caller sees the same data. Any state-changing request forgets what is in
 * flight, so a read sent after a write has been answered never gets an answer computed before it. Event streams
 * and files are never shared: only JSON answers are.
 */
export function shareIdenticalReads(): MiddlewareHandler {
  const inFlight = new Map<string, Promise<SharedAnswer | null>>();
  return async (c, next) => {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      inFlight.clear();
      await next();
      inFlight.clear();
      return;
    }
    if (c.req.method === 'HEAD' || c.req.header('accept')?.includes('text/event-stream')) return next();
    const key = c.req.url;
    const pending = inFlight.get(key);
    if (pending) {
      const shared = await pending;
      if (shared) return new Response(shared.body, { status: shared.status, headers: { ...shared.headers } });
      return next();
    }
    let settle!: (answer: SharedAnswer | null) => void;
    const answer = new Promise<SharedAnswer | null>((resolve) => { settle = resolve; });
    inFlight.set(key, answer);
    try {
      await next();
      const res = c.res;
      // A cookie is one caller's own; an answer that sets one is never handed to another.
      if (!res.headers.get('content-type')?.startsWith('application/json') || res.headers.has('set-cookie')) {
        settle(null);
        return;
      }
      const body = new Uint8Array(await res.arrayBuffer());
      const headers = Object.fromEntries(res.headers.entries());
      settle({ status: res.status, headers, body });
      c.res = new Response(body, { status: res.status, headers: { ...headers } });
    } catch (error) {
      settle(null);
      throw error;
    } finally {
      if (inFlight.get(key) === answer) inFlight.delete(key);
    }
  };
}
