import { activityInfo, ApplicationFailure, CancelledFailure, cancellationSignal, heartbeat, log, sleep } from '@temporalio/activity';
import { ZodError } from 'zod';
import { InputError, OutputInvalidError } from '../core/input-error.js';
import { runWithAbortSignal } from '../gpu/abort-scope.js';
import { ContainerStartError } from '../gpu/docker.js';
import { HostUnreachableError, RemoteCommandError } from '../gpu/remote-command-error.js';

/** Attempts of one activity that may meet a full local disk before the run fails with `disk_full`. */
export const diskFullAttempts = 5;

/** The one place activity errors become Temporal failures; the failure type is the run's failure_kind. */
export function toActivityFailure(error: unknown): unknown {
  if (error instanceof ApplicationFailure || error instanceof CancelledFailure) return error;
  if (error instanceof InputError || error instanceof ZodError) {
    return ApplicationFailure.nonRetryable((error as Error).message, 'bad_input');
  }
  if (error instanceof OutputInvalidError) return ApplicationFailure.nonRetryable(error.message, 'output_invalid');
  if (error instanceof HostUnreachableError) {
    return ApplicationFailure.retryable(error.message, 'gpu_host_unreachable');
  }
  if (error instanceof ContainerStartError) return ApplicationFailure.nonRetryable(error.message, 'container_failed');
  if (isDiskFull(error)) {
    const attempt = activityInfo().attempt;
    const message = `the local disk is full: ${(error as Error).message}`;
    // A disk that frees up lets a later attempt finish; one that stays full ends the run, named, after a few tries.
    return attempt >= diskFullAttempts
      ? ApplicationFailure.nonRetryable(`${message} (still full after ${attempt} attempts)`, 'disk_full')
      : ApplicationFailure.retryable(`${message} (attempt ${attempt} of ${diskFullAttempts})`, 'internal');
  }
  if (error instanceof RemoteCommandError) {
    return ApplicationFailure.create({
      message: error.message, type: 'internal', details: [{ command: error.command, exitCode: error.exitCode, stderrTail: error.stderrTail }],
    });
  }
  return ApplicationFailure.create({ message: (error as Error)?.message ?? String(error), type: 'internal', cause: error as Error });
}

function isDiskFull(error: unknown): boolean {
  const withCode = error as { code?: string; cause?: { code?: string } } | null;
  return withCode?.code === 'ENOSPC' || withCode?.cause?.code === 'ENOSPC' || withCode?.code === 'EDQUOT';
}

export interface ActivityRunOptions {
  /** How long one attempt waits, heartbeating, for an unreachable GPU host before it fails as gpu_host_unreachable. */
  hostOutageMs: number;
  /**
   * For a step before the container starts (the upload), when its job could run on another host (`movable` in its
   * input): how long it waits for the host before it fails for good, so the workflow moves the job.
   */
  movableOutageMs?: number;
}

/**
 * Wraps an activity: its remote commands and transfers follow the attempt's cancellation signal; a GPU host that
 * cannot be reached is retried in place with a short backoff (every step is idempotent), so a dropped SSH link
 * costs seconds, not a Temporal retry interval; errors are mapped once.
 */
export function asActivity<A extends unknown[], R>(fn: (...args: A) => Promise<R>, options: ActivityRunOptions): (...args: A) => Promise<R> {
  return async (...args: A) => {
    const signal = cancellationSignal();
    const started = Date.now();
    const movable = options.movableOutageMs !== undefined && (args[0] as { movable?: unknown } | undefined)?.movable === true;
    const outageMs = movable ? Math.min(options.hostOutageMs, options.movableOutageMs!) : options.hostOutageMs;
    for (let retry = 0; ; retry += 1) {
      try {
        return await runWithAbortSignal(signal, () => fn(...args));
      } catch (error) {
        if (error instanceof HostUnreachableError && !signal.aborted) {
          const waitedMs = Date.now() - started;
          if (waitedMs < outageMs) {
            if (retry === 0) log.warn(`GPU host unreachable, retrying in place: ${error.message}`);
            heartbeat({ phase: 'waiting for the GPU host', error: error.message });
            await sleep(Math.min(500 * 2 ** retry, 5_000)).catch(() => undefined);
            if (!signal.aborted) continue;
          } else if (movable) {
            throw ApplicationFailure.nonRetryable(`${error.message} (unreachable for ${Math.round(waitedMs / 1000)} s before the job's container started)`, 'gpu_host_unreachable');
          }
        }
        throw toActivityFailure(error);
      }
    }
  };
}
