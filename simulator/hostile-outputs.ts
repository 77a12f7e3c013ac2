import { execFileSync } from 'node:child_process';
import { closeSync, ftruncateSync, openSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { FaultMode } from './faults.js';

export const hostileOutputNames = { output_symlink: 'leaked.txt', output_fifo: 'stream.mp4', output_oversized: 'huge.bin' } as const;
export const oversizedOutputBytes = 64 * 2 ** 20;

/**
 * TEST FAULTS, not a behaviour of the real model: after a successful save, leave in the outputs folder what a
 * compromised container could (a link to a host file, a FIFO that never ends, a file far bigger than any video).
 */
export function leaveHostileOutput(hostFolder: string, fault: FaultMode | undefined): void {
  if (fault === 'output_symlink') symlinkSync('/etc/passwd', join(hostFolder, hostileOutputNames.output_symlink));
  if (fault === 'output_fifo') execFileSync('mkfifo', [join(hostFolder, hostileOutputNames.output_fifo)]);
  if (fault === 'output_oversized') {
    const fd = openSync(join(hostFolder, hostileOutputNames.output_oversized), 'w');
    try {
      ftruncateSync(fd, oversizedOutputBytes);
    } finally {
      closeSync(fd);
    }
  }
}
