import { RemoteCommandError } from './remote-command-error.js';
import type { GpuHostTransport } from './transport.js';

// `sha256sum` opens what a link points to (and blocks for ever on a FIFO). This refuses anything but a regular file
// that is not a link, then reads it with O_NOFOLLOW|O_NONBLOCK, so a swap to a link or FIFO after the test fails too.
// One line per file: the hash, or `-` for an entry that is not a regular file.
const hashAllScript = 'for f; do if [ -f "$f" ] && [ ! -h "$f" ]; then '
  + 'h=$(dd if="$f" iflag=nofollow,nonblock bs=1M status=none | sha256sum) || exit 1; echo "${h%% *}"; '
  + 'else echo -; fi; done';

/** The sha256 of each file, in order, in one remote command; null for an entry that is not a regular file. */
export async function sha256OfRegularFilesOnHost(transport: GpuHostTransport, remotePaths: readonly string[]): Promise<(string | null)[]> {
  if (remotePaths.length === 0) return [];
  const { stdout } = await transport.exec(['sh', '-c', hashAllScript, 'sh', ...remotePaths]);
  const lines = stdout.split('\n').filter((line) => line !== '');
  if (lines.length !== remotePaths.length) {
    throw new RemoteCommandError({ command: 'sha256 of outputs', host: transport.hostName, exitCode: 0, signal: null, stderr: `expected ${remotePaths.length} hashes, got: ${stdout}` });
  }
  return lines.map((line) => (line === '-' ? null : line));
}
