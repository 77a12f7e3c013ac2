import { readFile } from 'node:fs/promises';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Client, type SFTPWrapper } from 'ssh2';
import { copyStream } from './copy-stream.js';
import { fingerprintOf, readKnownHostKeys } from './host-key.js';
import { HostUnreachableError, RemoteCommandError } from './remote-command-error.js';
import { quoteCommand } from './shell-quote.js';
import type { ExecOptions, ExecResult, GpuHostTransport } from './transport.js';

export interface SshTarget {
  name: string;
  host: string;
  port: number;
  user: string;
  privateKeyPath: string;
  /** Pinned `SHA256:…` fingerprint, or a known_hosts file; one of the two is required. */
  hostKeyFingerprint?: string;
  knownHostsPath?: string;
  connectTimeoutMs?: number;
}

/** SSH/SFTP to a GPU host. Connects lazily, reconnects after a drop, verifies the host key every time. */
export function createSshTransport(target: SshTarget): GpuHostTransport {
  let session: Promise<{ client: Client; sftp: SFTPWrapper }> | null = null;
  const where = `${target.user}@${target.host}:${target.port}`;

  function connect() {
    session ??= openSession(target, where).catch((error: unknown) => {
      session = null;
      throw error;
    });
    return session.then((s) => s);
  }
  const drop = () => { session = null; };

  async function withSftp<T>(action: (sftp: SFTPWrapper) => Promise<T>): Promise<T> {
    const { sftp } = await connect();
    return action(sftp);
  }

  return {
    hostName: target.name,
    async exec(argv, options) {
      const { client } = await connect();
      return execRemote(client, target.name, quoteCommand(argv), options, drop);
    },
    upload: (localPath, remotePath, options) => withSftp(async (sftp) => {
      const { size } = await stat(localPath);
      return copyStream(createReadStream(localPath), sftp.createWriteStream(remotePath), size, options);
    }),
    download: (remotePath, localPath, options) => withSftp(async (sftp) => {
      const { size } = await sftpCall<{ size: number }>((cb) => sftp.stat(remotePath, cb));
      await mkdir(dirname(localPath), { recursive: true });
      return copyStream(sftp.createReadStream(remotePath), createWriteStream(localPath), size, options);
    }),
    writeFile: (remotePath, data) => withSftp((sftp) => sftpCall<void>((cb) => sftp.writeFile(remotePath, typeof data === "string" ? data : Buffer.from(data), cb))),
    readRange: (remotePath, offset, maxBytes) => withSftp(async (sftp) => {
      const handle = await sftpCall<Buffer>((cb) => sftp.open(remotePath, 'r', cb));
      try {
        const buffer = Buffer.alloc(maxBytes);
        let filled = 0;
        while (filled < maxBytes) {
          const read = await new Promise<number>((resolve, reject) => {
            sftp.read(handle, buffer, filled, maxBytes - filled, offset + filled, (err, bytesRead) => {
              // OpenSSH answers a read at EOF with an EOF status, which ssh2 surfaces as an error with code 1.
              if (err && (err as { code?: number }).code === 1) resolve(0);
              else if (err) reject(err);
              else resolve(bytesRead);
            });
          });
          if (read === 0) break;
          filled += read;
        }
        return buffer.subarray(0, filled);
      } finally {
        await sftpCall<void>((cb) => sftp.close(handle, cb));
      }
    }),
    stat: (remotePath) => withSftp(async (sftp) => {
      try {
        const stats = await sftpCall<{ size: number }>((cb) => sftp.stat(remotePath, cb));
        return { size: stats.size };
      } catch (error) {
        if ((error as { code?: number }).code === 2) return null;
        throw error;
      }
    }),
    listDir: (remotePath) => withSftp(async (sftp) => {
      const entries = await sftpCall<{ filename: string; attrs: { size: number; isDirectory(): boolean } }[]>(
        (cb) => sftp.readdir(remotePath, cb as never));
      return entries.map((entry) => ({ name: entry.filename, size: entry.attrs.size, isDirectory: entry.attrs.isDirectory() }));
    }),
    async mkdirp(remotePath) {
      await this.exec(['mkdir', '-p', '--', remotePath]);
    },
    async rename(from, to) {
      await this.exec(['mv', '-f', '--', from, to]);
    },
    async close() {
      const current = session;
      session = null;
      if (current) (await current.catch(() => null))?.client.end();
    },
  };
}

function sftpCall<T>(call: (callback: (err: Error | null | undefined, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => call((err, value) => (err ? reject(err) : resolve(value))));
}

async function openSession(target: SshTarget, where: string): Promise<{ client: Client; sftp: SFTPWrapper }> {
  const privateKey = await readFile(target.privateKeyPath).catch((error: unknown) => {
    throw new HostUnreachableError(target.name, `cannot read SSH key ${target.privateKeyPath}: ${(error as Error).message}`);
  });
  const trusted = trustedKeys(target);
  let rejectedFingerprint: string | null = null;
  const client = new Client();
  await new Promise<void>((resolve, reject) => {
    client.once('ready', resolve);
    client.once('error', (error) => {
      const reason = rejectedFingerprint
        ? `host key ${rejectedFingerprint} does not match the configured one (refusing to connect)`
        : error.message;
      reject(new HostUnreachableError(target.name, `cannot connect to ${where}: ${reason}`, { cause: error }));
    });
    client.connect({
      host: target.host, port: target.port, username: target.user, privateKey,
      readyTimeout: target.connectTimeoutMs ?? 20_000,
      keepaliveInterval: 10_000, keepaliveCountMax: 3,
      hostVerifier: (key: Buffer) => {
        const fingerprint = fingerprintOf(key);
        if (trusted.some((t) => t === fingerprint)) return true;
        rejectedFingerprint = fingerprint;
        return false;
      },
    });
  });
  client.on('error', () => {});
  const sftp = await new Promise<SFTPWrapper>((resolve, reject) => {
    client.sftp((err, value) => (err ? reject(new HostUnreachableError(target.name, `SFTP unavailable: ${err.message}`)) : resolve(value)));
  });
  return { client, sftp };
}

function trustedKeys(target: SshTarget): string[] {
  const pinned = target.hostKeyFingerprint ? [target.hostKeyFingerprint.trim()] : [];
  const known = target.knownHostsPath
    ? readKnownHostKeys(target.knownHostsPath, target.host, target.port).map(fingerprintOf)
    : [];
  if (pinned.length + known.length === 0) {
    throw new HostUnreachableError(target.name,
      `no trusted host key for ${where(target)}; set host_key_fingerprint (see \`ssh-keyscan -p ${target.port} ${target.host} | ssh-keygen -lf -\`) or known_hosts`);
  }
  return [...pinned, ...known];
}

const where = (t: SshTarget) => `${t.host}:${t.port}`;

function execRemote(
  client: Client, host: string, command: string, options: ExecOptions = {}, onDrop: () => void,
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, stream) => {
      if (err) {
        onDrop();
        reject(new HostUnreachableError(host, `cannot open a session: ${err.message}`, { cause: err }));
        return;
      }
      let stdout = '';
      let stderr = '';
      let settled = false;
      const timer = options.timeoutMs ? setTimeout(() => abort('timed out'), options.timeoutMs) : null;
      function abort(why: string) {
        if (settled) return;
        settled = true;
        stream.close();
        reject(new RemoteCommandError({ command, host, exitCode: null, signal: null, stderr: `${stderr}\n${why}` }));
      }
      const onAbort = () => abort('cancelled');
      options.signal?.addEventListener('abort', onAbort, { once: true });
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        stdout += chunk;
        options.onOutput?.(chunk, 'stdout');
      });
      stream.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        options.onOutput?.(chunk, 'stderr');
      });
      stream.on('close', (code: number | null, signal?: string) => {
        if (timer) clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        if (settled) return;
        settled = true;
        if (code === null || code === undefined) {
          onDrop();
          reject(new HostUnreachableError(host, `session closed before \`${command.slice(0, 80)}\` finished`));
        } else if (code === 0 || options.okExitCodes?.includes(code)) {
          resolve({ stdout, stderr, exitCode: code });
        } else {
          reject(new RemoteCommandError({ command, host, exitCode: code, signal: signal ?? null, stderr }));
        }
      });
    });
  });
}
