import { heartbeat } from '@temporalio/activity';
import { InputError } from '../core/input-error.js';
import { ensureCached, InputChangedError } from '../gpu/content-cache.js';
import { cacheLinkTarget } from '../gpu/job-layout.js';
import type { StagedInput } from '../models/index.js';
import type { GpuHost } from './deps.js';
import type { UploadStats } from './run-records.js';

export interface StageOptions {
  signal: AbortSignal;
  /** Gets the bytes done across all inputs. */
  onProgress?: (done: number, total: number) => void;
  /** Awaited once before the first byte is sent (never when every input is cached already). */
  beforeUpload?: () => Promise<void>;
}

/**
 * Puts each input into the host's content-addressed cache (uploading only what is missing) and links it into the
 * job's inputs folder.
 */
export async function stageInputs(
  { config, transport }: GpuHost, inputsDir: string, inputs: StagedInput[], { signal, onProgress, beforeUpload }: StageOptions,
): Promise<UploadStats> {
  const total = inputs.reduce((sum, { file }) => sum + file.bytes, 0);
  const stats: UploadStats = { bytesSent: 0, filesSent: 0, filesReused: 0 };
  let doneBytes = 0;
  heartbeat({ phase: 'uploading' });
  await transport.mkdirp(inputsDir);
  for (const { linkName, file } of inputs) {
    const { bytesSent } = await ensureCached(transport, config.remote_dir, file, {
      signal,
      ...(config.transfer_rate_limit ? { rateLimit: config.transfer_rate_limit } : {}),
      onProgress: (sent) => {
        heartbeat({ phase: 'uploading', file: linkName, bytes: doneBytes + sent });
        onProgress?.(doneBytes + sent, total);
      },
    }, beforeUpload).catch((error: unknown) => {
      throw error instanceof InputChangedError ? new InputError(error.message) : error;
    });
    doneBytes += file.bytes;
    stats.bytesSent += bytesSent;
    if (bytesSent > 0) stats.filesSent += 1;
    else stats.filesReused += 1;
    await transport.symlink(cacheLinkTarget(file.sha256), `${inputsDir}/${linkName}`);
  }
  return stats;
}
