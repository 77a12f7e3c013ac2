import { isIP } from 'node:net';
import type { Context } from 'hono';

const wildcard = new Set(['0.0.0.0', '::', '']);
const isLoopbackIp = (ip: string) => ip === '::1' || (isIP(ip) === 4 && ip.startsWith('127.'));

/** The host name of a `Host` header or an origin's host, without port or IPv6 brackets, lowercased. */
export function hostNameOf(host: string): string {
  const lower = host.trim().toLowerCase();
  if (lower.startsWith('[')) {
    const end = lower.indexOf(']');
    return lower.slice(1, end < 0 ? undefined : end);
  }
  const colon = lower.lastIndexOf(':');
  return colon >= 0 && lower.indexOf(':') === colon ? lower.slice(0, colon) : lower;
}

/**
 * Whether a `Host` names this server: the bound address, a configured name, or (on a loopback or wildcard bind)
 * localhost and loopback addresses. A wildcard bind also accepts any IP literal: DNS rebinding needs a name.
 */
export function isAllowedHost(host: string | undefined, bind: string, names: readonly string[]): boolean {
  if (!host) return false;
  const name = hostNameOf(host);
  if (names.some((allowed) => allowed.toLowerCase() === name)) return true;
  const boundName = hostNameOf(bind);
  if (name === boundName) return true;
  const open = wildcard.has(boundName);
  if (open && isIP(name) !== 0) return true;
  if (open || isLoopbackIp(boundName) || boundName === 'localhost') return name === 'localhost' || isLoopbackIp(name);
  return false;
}

export const isUnsafeMethod = (method: string) => !['GET', 'HEAD', 'OPTIONS'].includes(method);

/** The request's own host as the browser addressed it (`Host`, or the URL a test request was made with). */
export const requestHost = (c: Context) => c.req.header('host') ?? new URL(c.req.url).host;

/** Whether `Origin` names this very server (scheme aside: a TLS proxy in front changes it). */
export function isSameOrigin(c: Context): boolean {
  const origin = c.req.header('origin');
  if (!origin || origin === 'null') return false;
  try {
    return new URL(origin).host === requestHost(c).toLowerCase();
  } catch {
    return false;
  }
}

/** A browser's positive signal that this page of ours sent the request. */
export const hasSameOriginSignal = (c: Context) => c.req.header('sec-fetch-site') === 'same-origin' || isSameOrigin(c);
