import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { Readable } from 'node:stream';
import type { Context } from 'hono';
import { ApiError } from './errors.js';

const contentTypes: Record<string, string> = {
  '.mp4': 'video/mp4', '.json': 'application/json', '.log': 'text/plain; charset=utf-8', '.txt': 'text/plain; charset=utf-8',
  '.jsonl': 'application/x-ndjson',
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

/** Streams a file the database recorded, honouring a single Range; the path never comes from the request. */
export async function serveFile(c: Context, path: string, etag?: string): Promise<Response> {
  const info = await stat(path).catch(() => null);
  if (!info?.isFile()) throw new ApiError(404, 'file_missing', 'the file is recorded but no longer on disk (see `cosmos verify`)');
  const headers: Record<string, string> = {
    'Content-Type': contentTypes[extname(path)] ?? 'application/octet-stream',
    'Accept-Ranges': 'bytes',
    'Last-Modified': info.mtime.toUTCString(),
    ...(etag ? { ETag: `"${etag}"` } : {}),
  };
  const range = parseRange(c.req.header('range'), info.size);
  if (range === 'unsatisfiable') {
    return new Response(null, { status: 416, headers: { ...headers, 'Content-Range': `bytes */${info.size}` } });
  }
  const { start, end } = range ?? { start: 0, end: info.size - 1 };
  const length = info.size === 0 ? 0 : end - start + 1;
  const body = length === 0 || c.req.method === 'HEAD'
    ? null
    : (Readable.toWeb(createReadStream(path, { start, end })) as ReadableStream<Uint8Array>);
  const status = range ? 206 : 200;
  return new Response(body, {
    status,
    headers: { ...headers, 'Content-Length': String(length), ...(range ? { 'Content-Range': `bytes ${start}-${end}/${info.size}` } : {}) },
  });
}
