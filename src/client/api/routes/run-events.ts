import { join } from 'node:path';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { ClientDeps } from '../../runs.js';
import { listRunEventsAfter } from '../../../db/queries/events.js';
import { findRun } from '../../../db/queries/runs.js';
import type { Run } from '../../../db/schema.js';
import { readLogLines } from '../log-lines.js';

export interface EventStreamOptions { pollIntervalMs: number; keepAliveMs?: number }

interface Cursor { eventId: number; logOffset: number }

const terminal = new Set(['completed', 'failed', 'cancelled']);
const LOG_WINDOW = 64 * 1024;

/** `<last run_events id>.<run.log byte offset>`: both halves of the stream resume from one Last-Event-ID. */
export function parseCursor(header: string | undefined): Cursor {
  const match = header ? /^(\d+)\.(\d+)$/.exec(header.trim()) : null;
  return match ? { eventId: Number(match[1]), logOffset: Number(match[2]) } : { eventId: 0, logOffset: 0 };
}

const formatCursor = (cursor: Cursor) => `${cursor.eventId}.${cursor.logOffset}`;

const statusOf = (run: Run) => ({
  status: run.status, stage: run.stage, progress: run.progress, failureKind: run.failureKind, errorMessage: run.errorMessage,
});

/**
 * Server-Sent Events for one run: `status` (row snapshot, on change), `progress` (each run_events row),
 * `log` (each run.log line) and a final `end`. Polls Postgres and the local log the worker appends to.
 */
export function streamRunEvents(c: Context, deps: ClientDeps, run: Run, options: EventStreamOptions): Response {
  const cursor = parseCursor(c.req.header('last-event-id') ?? c.req.query('last_event_id'));
  const logPath = join(deps.config.dataDir, 'runs', run.id, 'run.log');
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  return streamSSE(c, async (stream) => {
    let open = true;
    stream.onAbort(() => { open = false; });
    let lastStatus = '';
    let terminalPolls = 0;
    let lastWrite = Date.now();
    const send = async (event: string, data: unknown) => {
      await stream.writeSSE({ event, id: formatCursor(cursor), data: JSON.stringify(data) });
      lastWrite = Date.now();
    };
    await stream.write('retry: 2000\n\n');
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
        cursor.logOffset = line.end;
        await send('log', { line: line.text });
      }
      const status = statusOf(current);
      if (JSON.stringify(status) !== lastStatus) {
        lastStatus = JSON.stringify(status);
        await send('status', status);
      }
      // The final event row lands just after the terminal status; one more poll picks it up.
      if (isTerminal && lines.length === 0 && events.length === 0 && ++terminalPolls >= 2) {
        await send('end', status);
        break;
      }
      if (Date.now() - lastWrite >= keepAliveMs) {
        await stream.write(': keep-alive\n\n');
        lastWrite = Date.now();
      }
      await stream.sleep(options.pollIntervalMs);
    }
  });
}
