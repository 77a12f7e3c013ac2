import { join } from 'node:path';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { ClientDeps } from '../../runs.js';
import { listRunEventsAfter } from '../../../db/queries/events.js';
import { findRun } from '../../../db/queries/runs.js';
import type { Run } from '../../../db/schema.js';
import { ApiError } from '../errors.js';
import { readLogLines } from '../log-lines.js';

export interface EventStreamOptions { pollIntervalMs: number; keepAliveMs?: number; logError?: (error: unknown) => void }

interface Cursor { eventId: number; logOffset: number }

const terminal = new Set(['completed', 'failed', 'cancelled']);
const LOG_WINDOW = 64 * 1024;
/** run_events ids are Postgres `integer`s. */
export const MAX_EVENT_ID = 2 ** 31 - 1;

/**
 * `<last run_events id>.<run.log byte offset>`: both halves of the stream resume from one Last-Event-ID. Absent
 * means the start; anything but two bounded decimal integers is an error, never a float or a silent restart.
 */
export function parseCursor(header: string | undefined): Cursor {
  if (header === undefined || header.trim() === '') return { eventId: 0, logOffset: 0 };
  const match = /^(\d{1,10})\.(\d{1,16})$/.exec(header.trim());
  const eventId = Number(match?.[1]);
  const logOffset = Number(match?.[2]);
  if (!match || eventId > MAX_EVENT_ID || !Number.isSafeInteger(logOffset)) {
    throw new ApiError(400, 'invalid_request', `Last-Event-ID must be "<event id>.<log offset>", two integers (event id at most ${MAX_EVENT_ID}), as the stream sent it`);
  }
  return { eventId, logOffset };
}

const formatCursor = (cursor: Cursor) => `${cursor.eventId}.${cursor.logOffset}`;

const statusOf = (run: Run) => ({
  status: run.status, stage: run.stage, progress: run.progress, failureKind: run.failureKind, errorMessage: run.errorMessage,
});

/** A count of open streams with a ceiling; the slot is given back when its stream ends, however it ends. */
export function createStreamLimit(max: number) {
  let open = 0;
  return {
    get open() { return open; },
    take(): () => void {
      if (open >= max) throw new ApiError(503, 'too_many_streams', `${max} event streams are open; close one or retry shortly`);
      open += 1;
      let released = false;
      return () => {
        if (!released) open -= 1;
        released = true;
      };
    },
  };
}

/**
 * Server-Sent Events for one run: `status` (row snapshot, on change), `progress` (each run_events row),
 * `log` (each run.log line) and a final `end`. Polls Postgres and the local log the worker appends to.
 */
export function streamRunEvents(c: Context, deps: ClientDeps, run: Run, options: EventStreamOptions & { release: () => void }): Response {
  let cursor: Cursor;
  try {
    cursor = parseCursor(c.req.header('last-event-id') ?? c.req.query('last_event_id'));
  } catch (error) {
    options.release();
    throw error;
  }
  const logPath = join(deps.config.dataDir, 'runs', run.id, 'run.log');
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  return streamSSE(c, async (stream) => {
    let open = true;
    stream.onAbort(() => { open = false; });
    let lastStatus = '';
    let emptyTerminalPolls = 0;
    let lastWrite = Date.now();
    const send = async (event: string, data: unknown) => {
      await stream.writeSSE({ event, id: formatCursor(cursor), data: JSON.stringify(data) });
      lastWrite = Date.now();
    };
    try {
      await stream.write('retry: 2000\n\n');
      // A run finished before the stream opened has all its rows already: one empty poll is the end.
      const pollsBeforeEnd = terminal.has(run.status) ? 1 : 2;
      while (open) {
        // The row is read first: whatever was written before it turned terminal is then in the reads below.
        const current = (await findRun(deps.db, run.id)) ?? run;
        const isTerminal = terminal.has(current.status);
        const events = await listRunEventsAfter(deps.db, run.id, cursor.eventId);
        for (const event of events) {
          cursor.eventId = event.id;
          await send('progress', { at: event.at, stage: event.stage, progress: event.progress, message: event.message });
        }
        const lines = await readLogLines(logPath, cursor.logOffset, LOG_WINDOW, isTerminal);
        for (const line of lines) {
          if (line.end <= cursor.logOffset) break; // never step back or stand still
          cursor.logOffset = line.end;
          await send('log', { line: line.text });
        }
        const status = statusOf(current);
        if (JSON.stringify(status) !== lastStatus) {
          lastStatus = JSON.stringify(status);
          await send('status', status);
        }
        // The final event row lands just after the terminal status; one more poll picks it up.
        if (isTerminal && lines.length === 0 && events.length === 0 && ++emptyTerminalPolls >= pollsBeforeEnd) {
          await send('end', status);
          break;
        }
        if (Date.now() - lastWrite >= keepAliveMs) {
          await stream.write(': keep-alive\n\n');
          lastWrite = Date.now();
        }
        await stream.sleep(options.pollIntervalMs);
      }
    } catch (error) {
      // The stream has begun, so no status is left to send: the client gets an error event, the log the cause.
      if (!open) return;
      (options.logError ?? console.error)(error);
      await stream.writeSSE({ event: 'error', data: JSON.stringify({ message: 'internal error' }) }).catch(() => {});
    } finally {
      options.release();
    }
  });
}
