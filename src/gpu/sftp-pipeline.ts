import { createHash } from 'node:crypto';
import { open as openLocal } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SFTPWrapper } from 'ssh2';
import { TransferTooLargeError, type TransferOptions, type TransferResult } from './transport.js';

/**
 * Chunk and depth were picked with `npm run bench:transfers`: one request in flight (what ssh2's streams do) waits
 * a round trip per chunk; 32 requests of 254 KiB fill the SFTP channel's 8 MiB receive window (ssh-session.ts)
 * on a 40 ms link, where 16 reached 0.8 of the speed. 254 KiB is ssh2's largest single read or write for OpenSSH,
 * so no request is split.
 */
export const sftpChunkBytes = 254 * 1024;
export const sftpRequestsInFlight = 32;
const progressEveryMs = 100;

interface PipelineOptions extends TransferOptions {
  chunkBytes?: number;
  inFlight?: number;
}

interface UploadOptions extends PipelineOptions {
  /**
   * A second SFTP channel to the same host, or null when none could be had. Writes spread over both once it has
   * opened (nothing waits for it): each channel's flow is capped by its window, which the server sets (OpenSSH:
   * 2 MiB, about 50 MB/s at 40 ms), so two carry twice what one does on a link with latency.
   */
  extraChannel?: Promise<SFTPWrapper | null>;
}

interface Writer { sftp: SFTPWrapper; handle: Buffer }

/** Writes a local file to the host with several SFTP writes in flight, hashing it in the same pass. */
export async function uploadPipelined(
  sftp: SFTPWrapper, localPath: string, remotePath: string, total: number, options: UploadOptions = {},
): Promise<TransferResult> {
  const chunkBytes = options.chunkBytes ?? sftpChunkBytes;
  const depth = options.inFlight ?? sftpRequestsInFlight;
  const hash = createHash('sha256');
  const meter = createMeter(total, options);
  const local = await openLocal(localPath, 'r');
  const writers: Writer[] = [];
  let finished = false;
  const pending: Promise<void>[] = [];
  try {
    writers.push({ sftp, handle: await call<Buffer>((cb) => sftp.open(remotePath, 'w', cb)) });
    // Opened without truncating: the first channel created the file, and may already have written to it.
    void options.extraChannel?.then(async (extra) => {
      if (!extra || finished) return;
      const handle = await call<Buffer>((cb) => extra.open(remotePath, 'r+', cb)).catch(() => null);
      if (!handle) return;
      if (finished) extra.close(handle, () => {});
      else writers.push({ sftp: extra, handle });
    }, () => {});
    let offset = 0;
    let chunk = 0;
    for (;;) {
      options.signal?.throwIfAborted();
      const buffer = Buffer.allocUnsafe(chunkBytes);
      const { bytesRead } = await local.read(buffer, 0, chunkBytes, offset);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      await meter.pace(offset + bytesRead);
      const at = offset;
      const writer = writers[chunk % writers.length]!;
      chunk += 1;
      // Counted as each write is confirmed, so progress (and stall detection) never waits for the pipeline to fill.
      const write = call<void>((cb) => writer.sftp.write(writer.handle, buffer, 0, bytesRead, at, cb)).then(() => meter.add(bytesRead));
      write.catch(() => {});
      pending.push(write);
      offset += bytesRead;
      if (pending.length >= depth * writers.length) await pending.shift();
    }
    while (pending.length) await pending.shift();
    finished = true;
    const closing = writers.splice(0).map((w) => call<void>((cb) => w.sftp.close(w.handle, cb)));
    await Promise.all(closing);
    meter.finish();
    return { bytes: offset, sha256: hash.digest('hex') };
  } finally {
    finished = true;
    await local.close();
    for (const w of writers) w.sftp.close(w.handle, () => {});
  }
}

/**
 * Reads a host file into a local one with several SFTP reads in flight at increasing offsets, hashing and writing
 * them in order. A short read (which SFTP allows) is completed before the next chunk is taken.
 */
export async function downloadPipelined(
  sftp: SFTPWrapper, remotePath: string, localPath: string, total: number, options: PipelineOptions = {},
): Promise<TransferResult> {
  const chunkBytes = options.chunkBytes ?? sftpChunkBytes;
  const depth = options.inFlight ?? sftpRequestsInFlight;
  const hash = createHash('sha256');
  const meter = createMeter(total, options);
  const local = await openLocal(localPath, 'w');
  let handle: Buffer | null = null;
  try {
    handle = await call<Buffer>((cb) => sftp.open(remotePath, 'r', cb));
    const read = (at: number, length: number) => readAt(sftp, handle!, at, length);
    const pending: { at: number; length: number; result: Promise<Buffer> }[] = [];
    let nextOffset = 0;
    let done = 0;
    let atEnd = false;
    const issue = () => {
      while (!atEnd && pending.length < depth) {
        const request = { at: nextOffset, length: chunkBytes, result: read(nextOffset, chunkBytes) };
        request.result.catch(() => {});
        pending.push(request);
        nextOffset += chunkBytes;
        // Past the size we were told, one request at a time: the file may still be growing, or we reach EOF.
        if (nextOffset >= total) break;
      }
    };
    issue();
    while (pending.length) {
      options.signal?.throwIfAborted();
      const request = pending.shift()!;
      let data = await request.result;
      if (data.length === 0) {
        atEnd = true;
      } else {
        while (data.length < request.length) {
          const rest = await read(request.at + data.length, request.length - data.length);
          if (rest.length === 0) {
            atEnd = true;
            break;
          }
          data = Buffer.concat([data, rest]);
        }
        if (options.maxBytes !== undefined && done + data.length > options.maxBytes) {
          throw new TransferTooLargeError(`${remotePath} holds more than the ${options.maxBytes} bytes expected; stopped reading it`);
        }
        hash.update(data);
        await local.write(data, 0, data.length, request.at);
        done += data.length;
        meter.add(data.length);
        await meter.pace(done);
      }
      if (atEnd) {
        // Reads already sent past the end answer EOF; let them settle without waiting on them.
        pending.length = 0;
      } else if (pending.length === 0 || nextOffset < total) {
        issue();
      }
    }
    await call<void>((cb) => sftp.close(handle!, cb));
    handle = null;
    meter.finish();
    return { bytes: done, sha256: hash.digest('hex') };
  } finally {
    await local.close();
    if (handle) sftp.close(handle, () => {});
  }
}

function readAt(sftp: SFTPWrapper, handle: Buffer, at: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  return new Promise((resolve, reject) => {
    sftp.read(handle, buffer, 0, length, at, (err, bytesRead) => {
      // OpenSSH answers a read at EOF with an EOF status (code 1); ssh2 passes it on or reports 0 bytes.
      if (err && (err as { code?: number }).code !== 1) reject(err);
      else resolve(buffer.subarray(0, err ? 0 : bytesRead));
    });
  });
}

function call<T>(start: (cb: (err: Error | null | undefined, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => start((err, value) => (err ? reject(err) : resolve(value))));
}

/** Counts confirmed bytes, reports progress at most every 100 ms (and once at the end), and honours a rate limit. */
function createMeter(total: number, options: TransferOptions) {
  const started = Date.now();
  let confirmed = 0;
  let reportedAt = 0;
  return {
    add(bytes: number) {
      confirmed += bytes;
      const now = Date.now();
      if (now - reportedAt >= progressEveryMs) {
        reportedAt = now;
        options.onProgress?.(confirmed, total);
      }
    },
    finish() {
      options.onProgress?.(confirmed, total);
    },
    async pace(sent: number) {
      if (!options.rateLimit) return;
      const wait = started + (sent / options.rateLimit) * 1000 - Date.now();
      if (wait > 0) await sleep(wait, undefined, { signal: options.signal });
    },
  };
}
