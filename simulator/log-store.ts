import { appendFileSync, closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { nowNs } from './clock.js';

export type LogStream = 'stdout' | 'stderr';

/** One entry per line as Docker's json-file driver keeps them: `d` is the raw text including its `\n` (absent on a partial line). */
export interface LogEntry {
  t: string;
  s: LogStream;
  d: string;
}

const MAX_PARTIAL_BYTES = 16 * 1024;

export function createLogWriter(path: string): { write(stream: LogStream, chunk: Buffer): void; flush(): void } {
  const pending: Record<LogStream, Buffer> = { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };
  const append = (stream: LogStream, bytes: Buffer) => {
    const entry: LogEntry = { t: nowNs().toString(), s: stream, d: bytes.toString('utf8') };
    appendFileSync(path, `${JSON.stringify(entry)}\n`);
  };
  return {
    write(stream, chunk) {
      let buffer = Buffer.concat([pending[stream], chunk]);
      for (let newline = buffer.indexOf(10); newline !== -1; newline = buffer.indexOf(10)) {
        append(stream, buffer.subarray(0, newline + 1));
        buffer = buffer.subarray(newline + 1);
      }
      if (buffer.length >= MAX_PARTIAL_BYTES) {
        append(stream, buffer);
        buffer = Buffer.alloc(0);
      }
      pending[stream] = buffer;
    },
    flush() {
      for (const stream of ['stdout', 'stderr'] as const) {
        if (pending[stream].length > 0) append(stream, pending[stream]);
        pending[stream] = Buffer.alloc(0);
      }
    },
  };
}

/** Reads complete entries from `offset`; a half-written last line is left for the next read. */
export function readLogEntries(path: string, offset: number): { entries: LogEntry[]; nextOffset: number } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], nextOffset: offset };
    throw error;
  }
  try {
    const size = fstatSync(fd).size;
    if (size <= offset) return { entries: [], nextOffset: offset };
    const bytes = Buffer.alloc(size - offset);
    readSync(fd, bytes, 0, bytes.length, offset);
    const complete = bytes.lastIndexOf(10) + 1;
    const entries = bytes
      .subarray(0, complete)
      .toString('utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as LogEntry);
    return { entries, nextOffset: offset + complete };
  } finally {
    closeSync(fd);
  }
}
