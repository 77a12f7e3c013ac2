import { RemoteCommandError } from './remote-command-error.js';
import type { GpuHostTransport } from './transport.js';

export class NotARegularFileError extends Error {
  override readonly name = 'NotARegularFileError';
}

// `sha256sum` opens what a link points to (and blocks for ever on a FIFO). This refuses anything but a regular file
// that is not a link, then reads it with O_NOFOLLOW|O_NONBLOCK, so a swap to a link or FIFO after the test fails too.
const hashScript = '[ -f "$1" ] && [ ! -h "$1" ] || { echo "not a regular file" >&2; exit 3; }; '
  + 'dd if="$1" iflag=nofollow,nonblock bs=1M status=none | sha256sum';

/** The sha256 of a regular file on the host, never of what a symbolic link points to. */
export async function sha256OfRegularFileOnHost(transport: GpuHostTransport, remotePath: string): Promise<string> {
  try {
    const { stdout } = await transport.exec(['sh', '-c', hashScript, 'sh', remotePath]);
    return stdout.trim().split(/\s+/)[0] ?? '';
  } catch (error) {
    if (error instanceof RemoteCommandError && error.exitCode === 3) {
      throw new NotARegularFileError(`${remotePath} is not a regular file on ${transport.hostName}`, { cause: error });
    }
    throw error;
  }
}
