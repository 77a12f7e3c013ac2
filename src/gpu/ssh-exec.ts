import type { ClientChannel } from 'ssh2';
import { HostUnreachableError, RemoteCommandError } from './remote-command-error.js';
import { quoteCommand } from './shell-quote.js';
import type { SshSession } from './ssh-session.js';
import type { ExecOptions, ExecResult } from './transport.js';

// OpenSSH ignores the channel's "signal" request (9.2 does), so every command runs under a watcher that kills it
// when its channel's stdin ends: on an abort (we send EOF) and on a dropped link (sshd closes the pipe) alike.
// (A background job's stdin is /dev/null unless redirected, hence the copy on fd 3; the watcher uses the `read`
// builtin, so killing it leaves no child behind holding the channel open.)
const killOnHangup = 'exec 3<&0; "$@" </dev/null 3<&- & c=$!; '
  + '{ while read -r _; do :; done <&3; kill -9 "$c"; } >/dev/null 2>&1 & w=$!; '
  + 'exec 3<&-; wait "$c"; s=$?; kill -9 "$w" 2>/dev/null; exit "$s"';
// sshd runs every command through the user's login shell, and bash sources ~/.bashrc (or $BASH_ENV) for it: a
// pyenv/conda init there runs first, and whatever it prints lands in our output. Our own output starts after
// this line on both streams; anything before it is the login files'.
export const outputStart = '\u001ecosmos-output\u001e\n';
const markStart = "printf '\\036cosmos-output\\036\\n'; printf '\\036cosmos-output\\036\\n' >&2; ";
export const wrapCommand = (argv: readonly string[]) => quoteCommand(['sh', '-c', markStart + killOnHangup, 'sh', ...argv]);

/** A login shell slower than this per command is reported once per host. */
export const slowLoginMs = 3_000;
const reportedSlowLogin = new Set<string>();

/** Drops what precedes our start line on one stream; passes the rest on as it arrives. */
function createStreamAfterStart(onText: (text: string) => void, onStart: () => void) {
  let pending = '';
  let started = false;
  return {
    push(chunk: string) {
      if (started) return onText(chunk);
      pending += chunk;
      const at = pending.indexOf(outputStart);
      if (at < 0) return undefined;
      started = true;
      onStart();
      const rest = pending.slice(at + outputStart.length);
      pending = '';
      if (rest) onText(rest);
      return undefined;
    },
    /** A command that never printed the line (its shell failed first): everything it printed is its own. */
    finish(): string { return started ? '' : pending; },
  };
}

/** Runs one command on its own channel of the session; its output, exit code and every way it can fail. */
/** SFTP status errors (no such file, permission denied, failure) carry a numeric code; a dead link does not. */
export function isConnectionError(session: SshSession, error: unknown): boolean {
  if (session.broken) return true;
  const { code, message } = error as { code?: unknown; message?: string };
  if (typeof code === 'number') return false;
  return /no response from server|not connected|channel (is )?(not open|closed)|closed|ECONNRESET|EPIPE|ETIMEDOUT/i.test(message ?? '');
}

export function execRemote(
  session: SshSession, host: string, command: string, wrapped: string, options: ExecOptions, setupTimeoutMs: number,
  unreachable: (cause?: unknown, beforeCommand?: boolean) => HostUnreachableError,
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      reject(error);
    };
    if (options.signal?.aborted) {
      fail(new RemoteCommandError({ command, host, exitCode: null, signal: null, stderr: 'cancelled before it started' }));
      return;
    }
    const setup = setTimeout(() => {
      session.discard(`no channel opened within ${setupTimeoutMs / 1000} s`);
      fail(unreachable());
    }, setupTimeoutMs);
    const onOpen = (err: Error | undefined, stream: ClientChannel) => {
      clearTimeout(setup);
      if (settled) {
        stream?.close();
        return;
      }
      if (err) {
        // A refused channel (e.g. sshd's MaxSessions) on a live link is a host problem too, but keeps the session.
        if (isConnectionError(session, err)) session.discard(err.message);
        fail(unreachable(err, true));
        return;
      }
      follow(stream);
    };
    try {
      session.client.exec(wrapped, onOpen);
    } catch (error) {
      // ssh2 throws `Not connected` synchronously once the socket is gone: the session is dead.
      clearTimeout(setup);
      session.discard((error as Error).message);
      fail(unreachable(error, true));
      return;
    }

    function follow(stream: ClientChannel) {
      let stdout = '';
      let stderr = '';
      const requested = Date.now();
      const onStart = () => {
        const ms = Date.now() - requested;
        if (ms < slowLoginMs || reportedSlowLogin.has(host)) return;
        reportedSlowLogin.add(host);
        process.emitWarning(`every command on ${host} waits ${(ms / 1000).toFixed(1)} s for the SSH user's login files (~/.bashrc: pyenv/conda init?); make them return early for non-interactive shells`, 'SlowLoginShell');
      };
      const out = createStreamAfterStart((text) => {
        stdout += text;
        options.onOutput?.(text, 'stdout');
      }, onStart);
      const err = createStreamAfterStart((text) => {
        stderr += text;
        options.onOutput?.(text, 'stderr');
      }, () => undefined);
      // A dead link may never close the channel; the session breaking is enough to know the command's fate is unknown.
      const unsubscribe = session.onBroken(() => fail(unreachable()));
      const timer = options.timeoutMs ? setTimeout(() => abort('timed out'), options.timeoutMs) : null;
      function abort(why: string) {
        if (settled) return;
        // EOF on stdin makes the watcher kill the command: a cancelled attempt leaves nothing running.
        try { stream.end(); } catch { /* the channel may already be gone */ }
        stream.close();
        fail(new RemoteCommandError({ command, host, exitCode: null, signal: null, stderr: `${stderr}\n${why}` }));
      }
      const onAbort = () => abort('cancelled');
      options.signal?.addEventListener('abort', onAbort, { once: true });
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => out.push(chunk));
      stream.stderr.setEncoding('utf8').on('data', (chunk: string) => err.push(chunk));
      stream.on('close', (code: number | null, signal?: string) => {
        stdout += out.finish();
        stderr += err.finish();
        unsubscribe();
        if (timer) clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        if (settled) return;
        if (code === null || code === undefined) {
          if (signal) fail(new RemoteCommandError({ command, host, exitCode: null, signal, stderr }));
          else fail(unreachable(new Error(`session closed before \`${command.slice(0, 80)}\` finished`)));
        } else if (code === 0 || options.okExitCodes?.includes(code)) {
          settled = true;
          resolve({ stdout, stderr, exitCode: code });
        } else {
          fail(new RemoteCommandError({ command, host, exitCode: code, signal: signal ?? null, stderr }));
        }
      });
    }
  });
}

export function createSemaphore(limit: number) {
  let active = 0;
  const waiting: Array<() => void> = [];
  return {
    async acquire(): Promise<() => void> {
      // A release hands its slot straight to the next waiter, so the count never goes past the limit.
      if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
      else active += 1;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const next = waiting.shift();
        if (next) next();
        else active -= 1;
      };
    },
  };
}
