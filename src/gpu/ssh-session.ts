import { readFile } from 'node:fs/promises';
import { Client, type SFTPWrapper } from 'ssh2';
import { fingerprintOf, readKnownHostKeys } from './host-key.js';
import { HostUnreachableError } from './remote-command-error.js';

/** The SFTP channel's receive window: enough for the reads a pipelined download keeps in flight. */
const sftpReceiveWindowBytes = 8 * 1024 * 1024;

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
  /** Longest wait for one SFTP request, a channel to open, or a transfer to move (default 30 s). */
  requestTimeoutMs?: number;
  /** Keepalive probe interval; the link counts as dead after 3 unanswered probes (default 5 s). */
  keepaliveIntervalMs?: number;
}

/** One live SSH connection with its SFTP channel; `broken` turns true on the first sign of a dead link. */
export interface SshSession {
  client: Client;
  sftp: SFTPWrapper;
  readonly broken: boolean;
  /** Why the session broke, for error messages. */
  readonly reason: string;
  /** Marks the session dead and closes it; every later call opens a new one. */
  discard(why: string): void;
  /**
   * Calls `listener` when the session breaks (at once if it already has), so nothing waits on a dead channel for a
   * callback that never comes. Returns the unsubscribe function; call it when done, or the listener stays referenced.
   */
  onBroken(listener: () => void): () => void;
}

/**
 * Hands out the current session, opening one when there is none or the last one broke. A session breaks on
 * ssh2's close/end/error events, a missed keepalive, or a request timeout; a broken session is closed at once,
 * so no dead client is ever reused or left open.
 */
export function createSessionPool(target: SshTarget) {
  let current: Promise<SshSession> | null = null;
  const where = `${target.user}@${target.host}:${target.port}`;

  return {
    where,
    acquire(): Promise<SshSession> {
      if (current) {
        const pending = current;
        return pending.then((session) => {
          if (!session.broken) return session;
          if (current === pending) current = null;
          return this.acquire();
        });
      }
      const opening = openSession(target, where);
      current = opening;
      opening.catch(() => { if (current === opening) current = null; });
      return opening;
    },
    async close(): Promise<void> {
      const pending = current;
      current = null;
      if (pending) (await pending.catch(() => null))?.discard('closed');
    },
  };
}

async function openSession(target: SshTarget, where: string): Promise<SshSession> {
  const privateKey = await readFile(target.privateKeyPath).catch((error: unknown) => {
    throw new HostUnreachableError(target.name, `cannot read SSH key ${target.privateKeyPath}: ${(error as Error).message}`);
  });
  const trusted = trustedKeys(target);
  let rejectedFingerprint: string | null = null;
  const client = new Client();
  let broken = false;
  let reason = '';
  const listeners = new Set<() => void>();
  const markBroken = () => {
    for (const listener of [...listeners]) listener();
    listeners.clear();
  };
  const onBroken = (listener: () => void) => {
    if (broken) {
      listener();
      return () => {};
    }
    listeners.add(listener);
    return () => { listeners.delete(listener); };
  };
  const discard = (why: string) => {
    if (broken) return;
    broken = true;
    reason = why;
    markBroken();
    client.end();
    // end() waits for the peer; a dead link never answers, so the socket is torn down shortly after.
    setTimeout(() => client.destroy(), 1000).unref();
  };
  await new Promise<void>((resolve, reject) => {
    const timeoutMs = target.connectTimeoutMs ?? 20_000;
    // readyTimeout covers the handshake only; this also covers a TCP connect that never completes.
    const timer = setTimeout(() => {
      discard('connect timed out');
      reject(new HostUnreachableError(target.name, `cannot connect to ${where}: no answer within ${timeoutMs / 1000} s`));
    }, timeoutMs + 1000);
    client.once('ready', () => { clearTimeout(timer); resolve(); });
    client.once('error', (error) => {
      clearTimeout(timer);
      const why = rejectedFingerprint
        ? `host key ${rejectedFingerprint} does not match the configured one (refusing to connect)`
        : error.message;
      discard(why);
      reject(new HostUnreachableError(target.name, `cannot connect to ${where}: ${why}`, { cause: error }));
    });
    client.connect({
      host: target.host, port: target.port, username: target.user, privateKey,
      readyTimeout: timeoutMs,
      keepaliveInterval: target.keepaliveIntervalMs ?? 5_000, keepaliveCountMax: 3,
      hostVerifier: (key: Buffer) => {
        const fingerprint = fingerprintOf(key);
        if (trusted.some((t) => t === fingerprint)) return true;
        rejectedFingerprint = fingerprint;
        return false;
      },
    });
    // Nagle's algorithm would hold every small SSH packet (a command, an SFTP request) for the peer's delayed ACK.
    client.setNoDelay(true);
  });
  client.on('error', (error) => discard(error.message));
  client.on('end', () => discard('the server ended the connection'));
  client.on('close', () => discard('the connection closed'));
  const sftp = await new Promise<SFTPWrapper>((resolve, reject) => {
    const timer = setTimeout(() => {
      discard('SFTP did not open');
      reject(new HostUnreachableError(target.name, `SFTP on ${where} did not open within ${(target.requestTimeoutMs ?? 30_000) / 1000} s`));
    }, target.requestTimeoutMs ?? 30_000);
    client.sftp((err, value) => {
      clearTimeout(timer);
      if (err) {
        discard(`SFTP unavailable: ${err.message}`);
        reject(new HostUnreachableError(target.name, `SFTP unavailable on ${where}: ${err.message}`));
      } else resolve(value);
    });
  });
  widenReceiveWindow(sftp, sftpReceiveWindowBytes);
  sftp.on('close', () => discard('the SFTP channel closed'));
  sftp.on('error', (error: Error) => discard(`SFTP: ${error.message}`));
  return {
    client, sftp, discard, onBroken,
    get broken() { return broken; },
    get reason() { return reason; },
  };
}

/**
 * One more SFTP channel on the session's connection, or null when the server refuses it (its MaxSessions), the
 * session breaks, or it does not open within `timeoutMs`; a channel that opens after that is closed at once.
 * The caller ends it when done.
 */
export function openExtraSftp(session: SshSession, timeoutMs: number): Promise<SFTPWrapper | null> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (value: SFTPWrapper | null) => {
      if (settled) {
        value?.end();
        return;
      }
      settled = true;
      clearTimeout(timer);
      unsubscribe();
      resolve(value);
    };
    const timer = setTimeout(() => settle(null), timeoutMs);
    const unsubscribe = session.onBroken(() => settle(null));
    try {
      session.client.sftp((err, sftp) => {
        if (err) return settle(null);
        // Its failures reach the writes sent on it; the session itself is judged by its main channel.
        sftp.on('error', () => {});
        settle(sftp);
      });
    } catch {
      settle(null);
    }
  });
}

/**
 * ssh2 (1.17) lets a channel's receive window fall to 1 MiB before it tops it up to 2 MiB, so on a link with
 * latency a download stalls for the window about every megabyte; OpenSSH's client keeps its window full. This
 * keeps the SFTP channel's window near `bytes` after every packet instead (ssh2's own check then never fires).
 * It uses ssh2's channel fields `incoming`, `outgoing` and `_protocol`, which the pinned version has.
 */
function widenReceiveWindow(sftp: SFTPWrapper, bytes: number): void {
  const channel = sftp as unknown as {
    incoming: { window: number };
    outgoing: { id: number; state: string };
    _protocol: { channelWindowAdjust(id: number, amount: number): void };
    push(data: Buffer): boolean;
  };
  if (typeof channel.push !== 'function' || typeof channel.incoming?.window !== 'number' || !channel._protocol) return;
  const topUp = () => {
    if (channel.outgoing.state !== 'open' || channel.incoming.window > bytes / 2) return;
    const amount = bytes - channel.incoming.window;
    channel.incoming.window += amount;
    channel._protocol.channelWindowAdjust(channel.outgoing.id, amount);
  };
  const push = channel.push.bind(channel);
  channel.push = (data: Buffer) => {
    const accepted = push(data);
    topUp();
    return accepted;
  };
  topUp();
}

function trustedKeys(target: SshTarget): string[] {
  const pinned = target.hostKeyFingerprint ? [target.hostKeyFingerprint.trim()] : [];
  const known = target.knownHostsPath
    ? readKnownHostKeys(target.knownHostsPath, target.host, target.port).map(fingerprintOf)
    : [];
  if (pinned.length + known.length === 0) {
    throw new HostUnreachableError(target.name,
      `no trusted host key for ${target.host}:${target.port}; set host_key_fingerprint (see \`ssh-keyscan -p ${target.port} ${target.host} | ssh-keygen -lf -\`) or known_hosts`);
  }
  return [...pinned, ...known];
}
