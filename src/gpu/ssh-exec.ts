import type { SshSession } from './ssh-session.js';

/** SFTP status errors (no such file, permission denied, failure) carry a numeric code; a dead link does not. */
export function isConnectionError(session: SshSession, error: unknown): boolean {
  if (session.broken) return true;
  const { code, message } = error as { code?: unknown; message?: string };
  if (typeof code === 'number') return false;
  return /no response from server|not connected|channel (is )?(not open|closed)|closed|ECONNRESET|EPIPE|ETIMEDOUT/i.test(message ?? '');
}

export function createSemaphore(limit: number) {
  let active = 0;
  const waiting: Array<() => void> = [];
  const releaser = () => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = waiting.shift();
      if (next) next();
      else active -= 1;
    };
  };
  return {
    /** A slot now, or null when all are taken. */
    tryAcquire(): (() => void) | null {
      if (active >= limit) return null;
      active += 1;
      return releaser();
    },
    async acquire(): Promise<() => void> {
      // A release hands its slot straight to the next waiter, so the count never goes past the limit.
      if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
      else active += 1;
      return releaser();
    },
  };
}
