import { extname } from 'node:path';
import { Readable } from 'node:stream';
import type { Context } from 'hono';
import { openRecordedFile, type RecordedFile } from './open-recorded-file.js';

const contentTypes: Record<string, string> = {
  '.mp4': 'video/mp4', '.json': 'application/json', '.log': 'text/plain; charset=utf-8', '.txt': 'text/plain; charset=utf-8',
  '.jsonl': 'application/x-ndjson', '.jpg': 'image/jpeg',
};

export type ByteRange = { start: number; end: number } | 'unsatisfiable' | null;

/**
 * One `bytes=` range against a file of `size` bytes (inclusive ends). null = serve the whole file:
 * no header, another unit, or several ranges (which a server may answer with the full body).
 */
export function parseRange(header: string | undefined, size: number): ByteRange {
  const match = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!match) return null;
  const [, from, to] = match;
  if (from === '' && to === '') return null;
  if (from === '') {
    const suffix = Number(to);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(from);
  const end = to === '' ? size - 1 : Math.min(Number(to), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

/**
 * Streams a file the database recorded, honouring a single Range; the path never comes from the request, and
 * the file is served only while it is still what was recorded (see `openRecordedFile`).
 */
export async function serveFile(c: Context, file: RecordedFile, root: string, options: { checkHash?: boolean } = {}): Promise<Response> {
  const { handle, stats: info } = await openRecordedFile(file, root, options);
  const headers: Record<string, string> = {
    'Content-Type': contentTypes[extname(file.path)] ?? 'application/octet-stream',
    'Accept-Ranges': 'bytes',
    'Last-Modified': info.mtime.toUTCString(),
    'X-Content-Type-Options': 'nosniff',
    ...(file.sha256 ? { ETag: `"${file.sha256}"` } : {}),
  };
  const range = parseRange(c.req.header('range'), info.size);
  if (range === 'unsatisfiable') {
    await handle.close();
    return new Response(null, { status: 416, headers: { ...headers, 'Content-Range': `bytes */${info.size}` } });
  }
  const { start, end } = range ?? { start: 0, end: info.size - 1 };
  const length = info.size === 0 ? 0 : end - start + 1;
  let body: ReadableStream<Uint8Array> | null = null;
  if (length === 0 || c.req.method === 'HEAD') await handle.close();
  else body = Readable.toWeb(handle.createReadStream({ start, end })) as ReadableStream<Uint8Array>;
  const status = range ? 206 : 200;
  return new Response(body, {
    status,
    headers: { ...headers, 'Content-Length': String(length), ...(range ? { 'Content-Range': `bytes ${start}-${end}/${info.size}` } : {}) },
  });
}
