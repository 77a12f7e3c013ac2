import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

const SESSION_SECONDS = 7 * 24 * 3600;

/**
 * A stateless session: `<expiry>.<HMAC of it under the API token>`. It survives API restarts and dies with the
 * token. The name carries a digest of the token so two stacks on one host (cookies ignore ports) keep theirs.
 */
export interface SessionCookie {
  name: string;
  /** The `Set-Cookie` value of a fresh session. */
  issue(now?: number): string;
  /** The `Set-Cookie` value that removes it. */
  clear(): string;
  /** Whether the `Cookie` header holds a valid, unexpired session. */
  verify(cookieHeader: string | undefined, now?: number): boolean;
}

export function createSessionCookie(token: string): SessionCookie {
  const name = `cosmos_session_${createHash('sha256').update(token).digest('hex').slice(0, 12)}`;
  const sign = (expiry: number) => createHmac('sha256', token).update(`cosmos-session:${expiry}`).digest('base64url');
  const attributes = 'Path=/; HttpOnly; SameSite=Strict';
  return {
    name,
    issue(now = Date.now()) {
      const expiry = Math.floor(now / 1000) + SESSION_SECONDS;
      return `${name}=${expiry}.${sign(expiry)}; ${attributes}; Max-Age=${SESSION_SECONDS}`;
    },
    clear: () => `${name}=; ${attributes}; Max-Age=0`,
    verify(cookieHeader, now = Date.now()) {
      const value = readCookie(cookieHeader, name);
      const match = value ? /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(value) : null;
      if (!match) return false;
      const expiry = Number(match[1]);
      if (expiry * 1000 <= now) return false;
      return timingSafeEqual(Buffer.from(match[2]!), Buffer.from(sign(expiry)));
    },
  };
}

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}
