import { randomUUID } from 'node:crypto';
import type { FileRef } from '../db/schema.js';
import { cacheDir } from './job-layout.js';
import type { GpuHostTransport, TransferOptions } from './transport.js';

export class InputChangedError extends Error {
  override readonly name = 'InputChangedError';
}

/**
 * Makes sure the host's content-addressed cache holds the file. Uploads only when the hash is absent or
 * its size differs, into a partial name that is verified remotely before it is renamed into place.
 */
export async function ensureCached(
  transport: GpuHostTransport, remoteDir: string, file: FileRef, options: TransferOptions = {},
  /** Awaited before any byte is sent (not when the file is cached already). */
  beforeUpload?: () => Promise<void>,
): Promise<{ remotePath: string; bytesSent: number }> {
  const dir = cacheDir(remoteDir);
  const remotePath = `${dir}/${file.sha256}`;
  const existing = await transport.stat(remotePath);
  if (existing?.size === file.bytes) return { remotePath, bytesSent: 0 };
  await beforeUpload?.();

  await transport.mkdirp(dir);
  // A name of its own per upload: two runs of one prompt may upload the same file at once, and the rename is atomic.
  const partial = `${dir}/.${file.sha256}.${randomUUID().slice(0, 8)}.partial`;
  const sent = await transport.upload(file.path, partial, options);
  if (sent.sha256 !== file.sha256) {
    throw new InputChangedError(`${file.path} changed since the prompt was created (sha256 ${sent.sha256}, expected ${file.sha256}); create the prompt again`);
  }
  const remoteHash = await sha256OnHost(transport, partial);
  if (remoteHash !== file.sha256) throw new Error(`upload of ${file.path} arrived corrupted (remote sha256 ${remoteHash})`);
  await transport.rename(partial, remotePath);
  return { remotePath, bytesSent: sent.bytes };
}

export async function sha256OnHost(transport: GpuHostTransport, remotePath: string): Promise<string> {
  const { stdout } = await transport.exec(['sha256sum', '--', remotePath]);
  return stdout.trim().split(/\s+/)[0] ?? '';
}
