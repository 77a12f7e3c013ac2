import { appendFile, mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { GpuHostTransport } from './transport.js';

const chunkBytes = 1 << 20;

export interface LogTail {
  /** The remote log's bytes beyond the local copy, decoded. */
  text: string;
  /** Appends those bytes to the local copy; call it only once they have been accounted for (events written). */
  commit(): Promise<void>;
}

/**
 * Reads what the remote log has beyond the local copy's length, without writing it yet. The local file's size
 * is the offset, so an attempt that dies before `commit` re-reads the same bytes: nothing is skipped or doubled.
 */
export async function readLogTail(transport: GpuHostTransport, remotePath: string, localPath: string): Promise<LogTail> {
  await mkdir(dirname(localPath), { recursive: true });
  const start = (await stat(localPath).catch(() => null))?.size ?? 0;
  const remote = await transport.stat(remotePath);
  if (!remote || remote.size <= start) return { text: '', commit: async () => {} };
  const parts: Buffer[] = [];
  let offset = start;
  while (offset < remote.size) {
    const chunk = await transport.readRange(remotePath, offset, Math.min(chunkBytes, remote.size - offset));
    if (chunk.length === 0) break;
    parts.push(chunk);
    offset += chunk.length;
  }
  const bytes = Buffer.concat(parts);
  return {
    text: bytes.toString('utf8'),
    async commit() {
      // Another attempt may have appended meanwhile; only bytes beyond what the file holds now are added.
      const now = (await stat(localPath).catch(() => null))?.size ?? 0;
      if (now < start + bytes.length) await appendFile(localPath, bytes.subarray(Math.max(0, now - start)));
    },
  };
}

/** Reads and appends at once, for the final copy after a container stopped. */
export async function syncLogTail(transport: GpuHostTransport, remotePath: string, localPath: string): Promise<string> {
  const tail = await readLogTail(transport, remotePath, localPath);
  await tail.commit();
  return tail.text;
}
