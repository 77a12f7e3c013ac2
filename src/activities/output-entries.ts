import { ApplicationFailure } from '@temporalio/activity';
import type { DirEntry } from '../gpu/transport.js';

export interface OutputLimits { host: string; maxFileBytes: number; maxRunBytes: number }

/** A job output we will not download: the run fails as output_invalid, and a retry would meet the same file. */
export function refuseOutput(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, 'output_invalid');
}

const kindNames: Record<string, string> = {
  symlink: 'a symbolic link', fifo: 'a FIFO', socket: 'a socket', block_device: 'a block device',
  char_device: 'a character device', unknown: 'not a regular file',
};

/**
 * The entries of a job's outputs folder that are downloaded: regular files only (checked with lstat, so a link to
 * ~/.ssh/id_ed25519 or /dev/zero is refused, not followed), with plain names, within the size caps. Hidden
 * names and sub-folders are skipped as before; anything else stops the download before a byte is fetched.
 */
export function checkOutputEntries(entries: DirEntry[], limits: OutputLimits): DirEntry[] {
  const kept: DirEntry[] = [];
  let total = 0;
  for (const entry of [...entries].sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.includes('/') || entry.name.includes('\0')) {
      throw refuseOutput(`an output on ${limits.host} has the name ${JSON.stringify(entry.name)}, which is not a plain file name`);
    }
    if (entry.name.startsWith('.') || entry.kind === 'directory') continue;
    if (entry.kind !== 'file') {
      throw refuseOutput(`output ${entry.name} on ${limits.host} is ${kindNames[entry.kind] ?? 'not a regular file'}; only regular files are downloaded`);
    }
    if (entry.size > limits.maxFileBytes) {
      throw refuseOutput(`output ${entry.name} on ${limits.host} is ${entry.size} bytes, over max_output_file_size (${limits.maxFileBytes} bytes)`);
    }
    total += entry.size;
    if (total > limits.maxRunBytes) {
      throw refuseOutput(`output ${entry.name} on ${limits.host} brings the run's outputs to ${total} bytes, over max_run_output_size (${limits.maxRunBytes} bytes)`);
    }
    kept.push(entry);
  }
  return kept;
}
