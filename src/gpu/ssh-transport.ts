import { mkdir, stat } from 'node:fs/promises';
import { dirname, posix } from 'node:path';
import type { SFTPWrapper } from 'ssh2';
import { effectiveSignal } from './abort-scope.js';
import { kindOfMode } from './entry-kind.js';
import { HostUnreachableError } from './remote-command-error.js';
import { quoteCommand } from './shell-quote.js';
import { downloadPipelined, uploadPipelined } from './sftp-pipeline.js';
import { createSemaphore, isConnectionError } from './ssh-exec.js';
import { createSessionPool, openExtraSftp, type SshSession, type SshTarget } from './ssh-session.js';
import { createShellPool } from './ssh-shell-pool.js';
import type { GpuHostTransport, TransferOptions } from './transport.js';

export type { SshTarget } from './ssh-session.js';

// OpenSSH's MaxSessions defaults to 10 channels per connection: these shells, the SFTP channel and one upload's second SFTP channel.
const maxChannels = 8;
/** A file this large is also written over a second SFTP channel (`uploadPipelined`); below it the channel's setup is not worth it. */
const secondChannelFromBytes = 16 * 1024 * 1024;

/**
 * SSH/SFTP to a GPU host. Connects lazily and verifies the host key every time; a dropped link is noticed
 * (events, keepalive, request timeouts), closed, and replaced on the next call. Every connection-level failure
 * is a HostUnreachableError, never a hang; a command's own failure is a RemoteCommandError.
 */
export function createSshTransport(target: SshTarget): GpuHostTransport {
  const pool = createSessionPool(target);
  const requestTimeoutMs = target.requestTimeoutMs ?? 30_000;
  const channels = createSemaphore(maxChannels);
  const secondChannels = createSemaphore(1);
  const shells = createShellPool(target.name, pool.where, requestTimeoutMs);

  const unreachable = (session: SshSession | null, what: string, cause?: unknown, beforeCommand = false) => new HostUnreachableError(
    target.name, `${what}: ${session?.reason || (cause as Error | undefined)?.message || 'the connection dropped'}`, { cause, beforeCommand });

  /** Runs one SFTP operation; a timeout or a dead channel breaks the session and becomes HostUnreachableError. */
  async function sftpRequest<T>(what: string, call: (sftp: SFTPWrapper, done: (err: Error | null | undefined, value: T) => void) => void): Promise<T> {
    const session = await pool.acquire();
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        session.discard(`no answer to ${what} within ${requestTimeoutMs / 1000} s`);
        reject(unreachable(session, `${what} on ${pool.where}`));
      }, requestTimeoutMs);
      const unsubscribe = session.onBroken(() => {
        clearTimeout(timer);
        reject(unreachable(session, `${what} on ${pool.where}`));
      });
      try {
        call(session.sftp, (err, value) => {
          clearTimeout(timer);
          unsubscribe();
          if (!err) resolve(value);
          else reject(isConnectionError(session, err) ? unreachable(session, `${what} on ${pool.where}`, err) : err);
        });
      } catch (error) {
        // ssh2 throws synchronously on a channel it already knows is closed.
        clearTimeout(timer);
        unsubscribe();
        session.discard((error as Error).message);
        reject(unreachable(session, `${what} on ${pool.where}`, error));
      }
    });
  }

  /**
   * A stream transfer that fails on a dead link or when no byte moves for the request timeout. It settles as soon
   * as either happens: a stream on a dead channel may never finish closing, so nobody waits for it to.
   */
  async function transfer(what: string, options: TransferOptions | undefined, run: (session: SshSession, options: TransferOptions) => Promise<{ bytes: number; sha256: string }>) {
    const session = await pool.acquire();
    const stall = new AbortController();
    let timer = setTimeout(() => stall.abort(), requestTimeoutMs);
    const signal = effectiveSignal(options?.signal);
    const cleanups: Array<() => void> = [];
    const gaveUp = new Promise<never>((_, reject) => {
      const stop = () => reject(new Error(stall.signal.aborted ? 'stalled' : signal?.aborted ? 'aborted' : 'the connection dropped'));
      stall.signal.addEventListener('abort', stop, { once: true });
      signal?.addEventListener('abort', stop, { once: true });
      cleanups.push(() => signal?.removeEventListener('abort', stop));
      cleanups.push(session.onBroken(() => { stall.abort(); stop(); }));
    });
    gaveUp.catch(() => {});
    try {
      return await Promise.race([gaveUp, run(session, {
        ...options,
        signal: signal ? AbortSignal.any([signal, stall.signal]) : stall.signal,
        onProgress: (done, total) => {
          clearTimeout(timer);
          timer = setTimeout(() => stall.abort(), requestTimeoutMs);
          options?.onProgress?.(done, total);
        },
      })]);
    } catch (error) {
      if (signal?.aborted) throw error;
      if (session.broken) throw unreachable(session, `${what} on ${pool.where}`, error);
      if (stall.signal.aborted) {
        session.discard(`${what} made no progress for ${requestTimeoutMs / 1000} s`);
        throw unreachable(session, `${what} on ${pool.where}`, error);
      }
      if (isConnectionError(session, error)) throw unreachable(session, `${what} on ${pool.where}`, error);
      throw error;
    } finally {
      clearTimeout(timer);
      for (const cleanup of cleanups) cleanup();
    }
  }

  return {
    hostName: target.name,
    async exec(argv, options = {}) {
      const command = quoteCommand(argv);
      const release = await channels.acquire();
      try {
        const session = await pool.acquire().catch((error: unknown) => {
          throw error instanceof HostUnreachableError ? new HostUnreachableError(target.name, error.message.replace(`${target.name}: `, ''), { cause: error, beforeCommand: true }) : error;
        });
        const shell = await shells.take(session);
        try {
          return await shell.run(argv, command, { ...options, signal: effectiveSignal(options.signal) });
        } finally {
          shells.give(shell);
        }
      } finally {
        release();
      }
    },
    async upload(localPath, remotePath, options) {
      const { size } = await stat(localPath);
      return transfer(`upload of ${remotePath}`, options, async (session, o) => {
        const release = size >= secondChannelFromBytes ? secondChannels.tryAcquire() : null;
        const extra = release ? openExtraSftp(session, requestTimeoutMs) : null;
        try {
          return await uploadPipelined(session.sftp, localPath, remotePath, size, { ...o, ...(extra ? { extraChannel: extra } : {}) });
        } finally {
          void extra?.then((channel) => {
            channel?.end();
            release?.();
          });
        }
      });
    },
    async download(remotePath, localPath, options) {
      const { size } = await sftpRequest<{ size: number }>(`stat ${remotePath}`, (sftp, cb) => sftp.stat(remotePath, cb));
      await mkdir(dirname(localPath), { recursive: true });
      return transfer(`download of ${remotePath}`, options, ({ sftp }, o) => downloadPipelined(sftp, remotePath, localPath, size, o));
    },
    async writeFile(remotePath, data, options) {
      const bytes = typeof data === 'string' ? data : Buffer.from(data);
      const mode = options?.mode;
      await sftpRequest<void>(`write ${remotePath}`, (sftp, cb) => sftp.writeFile(remotePath, bytes, mode === undefined ? {} : { mode }, cb));
      // The mode applies when the file is created; chmod makes it hold for a file an earlier attempt left too.
      if (mode !== undefined) await sftpRequest<void>(`chmod ${remotePath}`, (sftp, cb) => sftp.chmod(remotePath, mode, cb));
    },
    async readRange(remotePath, offset, maxBytes) {
      const handle = await sftpRequest<Buffer>(`open ${remotePath}`, (sftp, cb) => sftp.open(remotePath, 'r', cb));
      try {
        const buffer = Buffer.alloc(maxBytes);
        let filled = 0;
        while (filled < maxBytes) {
          const read = await sftpRequest<number>(`read ${remotePath}`, (sftp, cb) => {
            sftp.read(handle, buffer, filled, maxBytes - filled, offset + filled, (err, bytesRead) => {
              // OpenSSH answers a read at EOF with an EOF status, which ssh2 surfaces as an error with code 1.
              if (err && (err as { code?: number }).code === 1) cb(null, 0);
              else cb(err, bytesRead);
            });
          });
          if (read === 0) break;
          filled += read;
        }
        return buffer.subarray(0, filled);
      } finally {
        await sftpRequest<void>(`close ${remotePath}`, (sftp, cb) => sftp.close(handle, cb)).catch(() => {});
      }
    },
    async stat(remotePath) {
      try {
        const stats = await sftpRequest<{ size: number }>(`stat ${remotePath}`, (sftp, cb) => sftp.stat(remotePath, cb));
        return { size: stats.size };
      } catch (error) {
        if ((error as { code?: number }).code === 2) return null;
        throw error;
      }
    },
    async listDir(remotePath) {
      // OpenSSH's sftp-server fills READDIR attributes with lstat(), so a link is reported as a link.
      const entries = await sftpRequest<{ filename: string; attrs: { size: number; mode: number } }[]>(
        `list ${remotePath}`, (sftp, cb) => sftp.readdir(remotePath, cb as never));
      return entries.map((entry) => {
        const kind = kindOfMode(entry.attrs.mode);
        return { name: entry.filename, size: entry.attrs.size, isDirectory: kind === 'directory', kind };
      });
    },
    // Over SFTP rather than `mkdir -p`: no process on the host, and no login shell whose rc files run first.
    async mkdirp(remotePath) {
      const make = async (path: string): Promise<void> => {
        try {
          await sftpRequest<void>(`mkdir ${path}`, (sftp, cb) => sftp.mkdir(path, cb));
        } catch (error) {
          const code = (error as { code?: number }).code;
          const parent = posix.dirname(path);
          if (code === sftpStatus.noSuchFile && parent !== path) {
            await make(parent);
            return make(path);
          }
          // OpenSSH answers a mkdir of an existing name with a generic failure: it is fine if that is a folder.
          if (code === sftpStatus.failure && (await isDirectory(path).catch(() => false))) return;
          throw error;
        }
      };
      const isDirectory = (path: string) => sftpRequest<{ isDirectory(): boolean }>(`stat ${path}`, (sftp, cb) => sftp.stat(path, cb))
        .then((attrs) => attrs.isDirectory());
      await make(remotePath);
    },
    async symlink(target, linkPath) {
      await sftpRequest<void>(`remove ${linkPath}`, (sftp, cb) => sftp.unlink(linkPath, (err) => cb(
        err && (err as { code?: number }).code !== sftpStatus.noSuchFile ? err : undefined, undefined)));
      // ssh2 swaps the arguments for OpenSSH, whose SFTP symlink takes them in the opposite order to the draft.
      await sftpRequest<void>(`symlink ${linkPath}`, (sftp, cb) => sftp.symlink(target, linkPath, cb));
    },
    async rename(from, to) {
      await this.exec(['mv', '-f', '--', from, to]);
    },
    async close() {
      shells.close();
      await pool.close();
    },
  };
}

const sftpStatus = { noSuchFile: 2, failure: 4 } as const;
