import { open } from 'node:fs/promises';

export interface LogLine { text: string; /** Byte offset just after this line: where a resumed stream continues. */ end: number }

/**
 * Complete lines of a growing log from `offset`, at most `maxBytes` at a time. A trailing partial line is left
 * for the next read unless `flush` (the writer has finished). A carriage-return bar keeps its last state.
 */
export async function readLogLines(path: string, offset: number, maxBytes: number, flush: boolean): Promise<LogLine[]> {
  const file = await open(path, 'r').catch(() => null);
  if (!file) return [];
  try {
    const buffer = Buffer.alloc(maxBytes);
    const { bytesRead } = await file.read(buffer, 0, maxBytes, offset);
    const chunk = buffer.subarray(0, bytesRead);
    const lines: LogLine[] = [];
    let start = 0;
    for (let i = chunk.indexOf(0x0a); i >= 0; i = chunk.indexOf(0x0a, start)) {
      lines.push({ text: lastSegment(chunk.subarray(start, i).toString('utf8')), end: offset + i + 1 });
      start = i + 1;
    }
    const rest = chunk.subarray(start);
    // A line longer than the window would never complete; send it in pieces instead of stalling.
    if (rest.length > 0 && (flush || (lines.length === 0 && bytesRead === maxBytes))) {
      lines.push({ text: lastSegment(rest.toString('utf8')), end: offset + bytesRead });
    }
    return lines;
  } finally {
    await file.close();
  }
}

function lastSegment(line: string): string {
  const parts = line.split('\r').filter((part) => part !== '');
  return parts.at(-1) ?? '';
}
