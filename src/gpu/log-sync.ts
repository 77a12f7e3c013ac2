import { appendFile, mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { GpuHostTransport } from './transport.js';

const chunkBytes = 1 << 20;

/**
 * Appends what the remote log has beyond the local copy's length and returns the new text.
 * The local file's size is the offset, so a restarted attempt resumes exactly where the last one stopped.
 */
export async function syncLogTail(transport: GpuHostTransport, remotePath: string, localPath: string): Promise<string> {
  await mkdir(dirname(localPath), { recursive: true });
  let offset = (await stat(localPath).catch(() => null))?.size ?? 0;
  const remote = await transport.stat(remotePath);
  if (!remote || remote.size <= offset) return '';
  const parts: Buffer[] = [];
  while (offset < remote.size) {
    const chunk = await transport.readRange(remotePath, offset, Math.min(chunkBytes, remote.size - offset));
    if (chunk.length === 0) break;
    await appendFile(localPath, chunk);
    parts.push(chunk);
    offset += chunk.length;
  }
  return Buffer.concat(parts).toString('utf8');
}
