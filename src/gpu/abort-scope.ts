import { AsyncLocalStorage } from 'node:async_hooks';

const scope = new AsyncLocalStorage<AbortSignal | undefined>();

/**
 * Runs `action` with `signal` as the abort signal of every remote command and transfer it starts (an activity's
 * cancellation signal), so a cancelled or timed-out attempt never leaves its commands running on the host.
 */
export function runWithAbortSignal<T>(signal: AbortSignal | undefined, action: () => T): T {
  return scope.run(signal, action);
}

/** The abort signal of the surrounding scope, if any. */
export function currentAbortSignal(): AbortSignal | undefined {
  return scope.getStore();
}

/** The caller's own signal and the scope's, whichever aborts first. */
export function effectiveSignal(own: AbortSignal | undefined): AbortSignal | undefined {
  const ambient = currentAbortSignal();
  if (!own) return ambient;
  if (!ambient || ambient === own) return own;
  return AbortSignal.any([own, ambient]);
}
