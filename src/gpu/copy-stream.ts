import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TransferTooLargeError, type TransferOptions, type TransferResult } from './transport.js';

/** Pipes source into sink while counting, hashing, reporting progress and honouring a rate limit. */
export async function copyStream(
  source: Readable, sink: Writable, total: number, options: TransferOptions = {},
): Promise<TransferResult> {
  const hash = createHash('sha256');
  let bytes = 0;
  const started = Date.now();
  async function* meter(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of chunks) {
      if (options.maxBytes !== undefined && bytes + chunk.length > options.maxBytes) {
        throw new TransferTooLargeError(`the file holds more than the ${options.maxBytes} bytes expected; stopped reading it`);
      }
      hash.update(chunk);
      bytes += chunk.length;
      options.onProgress?.(bytes, total);
      if (options.rateLimit) {
        const due = started + (bytes / options.rateLimit) * 1000;
        const wait = due - Date.now();
        if (wait > 0) await sleep(wait, undefined, { signal: options.signal });
      }
      yield chunk;
    }
  }
  await pipeline(source, meter, sink, { signal: options.signal });
  return { bytes, sha256: hash.digest('hex') };
}
