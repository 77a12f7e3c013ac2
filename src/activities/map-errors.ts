import { ApplicationFailure, CancelledFailure } from '@temporalio/activity';
import { ZodError } from 'zod';
import { InputError } from '../core/input-error.js';
import { HostUnreachableError, RemoteCommandError } from '../gpu/remote-command-error.js';

/** The one place activity errors become Temporal failures; the failure type is the run's failure_kind. */
export function toActivityFailure(error: unknown): unknown {
  if (error instanceof ApplicationFailure || error instanceof CancelledFailure) return error;
  if (error instanceof InputError || error instanceof ZodError) {
    return ApplicationFailure.nonRetryable((error as Error).message, 'bad_input');
  }
  if (error instanceof HostUnreachableError) {
    return ApplicationFailure.retryable(error.message, 'gpu_host_unreachable');
  }
  if (error instanceof RemoteCommandError) {
    return ApplicationFailure.create({
      message: error.message, type: 'internal', details: [{ command: error.command, exitCode: error.exitCode, stderrTail: error.stderrTail }],
    });
  }
  return ApplicationFailure.create({ message: (error as Error)?.message ?? String(error), type: 'internal', cause: error as Error });
}

export function withFailureMapping<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A) => {
    try {
      return await fn(...args);
    } catch (error) {
      throw toActivityFailure(error);
    }
  };
}
