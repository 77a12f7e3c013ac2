import { randomBytes } from 'node:crypto';
import type { ClientChannel } from 'ssh2';
import { HostUnreachableError, RemoteCommandError } from './remote-command-error.js';
import { quoteCommand } from './shell-quote.js';
import { isConnectionError } from './ssh-exec.js';
import type { SshSession } from './ssh-session.js';
import type { ExecOptions, ExecResult } from './transport.js';

/**
 * sshd runs every command through the user's login shell, and bash sources ~/.bashrc for it: a pyenv or conda
 * init there costs 0.2 s per command on a quiet host and seconds on a busy one (measured: 3.3 s per command
 * during a burst of starts). So commands do not get a channel each: a shell runs on a long-lived channel, pays
 * for the login files once, and runs one command after another sent to it on its stdin.
 *
 * Each request is three lines: an id, a mode and `set -- <quoted argv>` (a newline inside an argument travels as
 * `'"$nl"'`). The shell runs the argv with stdin from /dev/null, then prints an end line with the id and the exit
 * code on both streams. In mode `w` a watcher reads the channel's stdin while the command runs and kills it
 * when stdin ends: on an abort (we send EOF) and on a dropped link (sshd closes the pipe) alike, since OpenSSH
 * ignores the channel's "signal" request. The client sends nothing while a command runs, so the watcher never
 * takes a request, and it is killed before the end line goes out. Mode `d` has no watcher: the command survives
 * a dropped link (`docker run`, which must not die half-way). A background job's stdin is /dev/null unless
 * redirected, hence the copy on fd 3.
 */
const shellScript = [
  // One line: the login shell (maybe csh or fish) sees only `sh -c '…'` with no newline inside its quotes.
  "nl=$(printf '\\n_'); nl=${nl%_}",
  'exec 3<&0',
  "printf '\\036cosmos-ready\\036\\n'; printf '\\036cosmos-ready\\036\\n' >&2",
  'while IFS= read -r id && IFS= read -r mode && IFS= read -r cmd; do eval "$cmd"',
  '"$@" </dev/null 3<&- & c=$!',
  'if [ "$mode" = w ]; then { while read -r _; do :; done <&3; kill -9 "$c"; } >/dev/null 2>&1 & w=$!; fi',
  'wait "$c"; s=$?',
  'if [ "$mode" = w ]; then { kill -9 "$w"; wait "$w"; } >/dev/null 2>&1; fi',
  "printf '\\036cosmos-end:%s:%s\\036\\n' \"$id\" \"$s\"; printf '\\036cosmos-end:%s:%s\\036\\n' \"$id\" \"$s\" >&2",
  'done',
].join('; ');
export const shellCommand = quoteCommand(['sh', '-c', shellScript]);

const readyLine = '\u001ecosmos-ready\u001e\n';
/** A login shell slower than this is reported once per host. */
export const slowLoginMs = 3_000;
const reportedSlowLogin = new Set<string>();

/** `set -- <argv>` on one line: every argument quoted, newlines as the shell's `$nl`. */
export function encodeArgv(argv: readonly string[]): string {
  return `set -- ${quoteCommand(argv).replaceAll('\n', `'"$nl"'`)}`;
}

interface Running {
  id: string;
  command: string;
  options: ExecOptions;
  stdout: string;
  stderr: string;
  ends: { stdout: number | null; stderr: number | null };
  settle(result: ExecResult | Error): void;
}

/** Splits one stream of the shell into what came before the ready line, each command's text, and its end line. */
function createStreamReader(name: 'stdout' | 'stderr', shell: { current: Running | null; onReady(): void }) {
  let ready = false;
  let pending = '';
  return {
    get ready() { return ready; },
    push(chunk: string) {
      pending += chunk;
      if (!ready) {
        const at = pending.indexOf(readyLine);
        // Anything before the ready line is the login files' (a banner, pyenv's warnings): not ours.
        if (at < 0) return;
        ready = true;
        pending = pending.slice(at + readyLine.length);
        shell.onReady();
      }
      const running = shell.current;
      // Between commands, or after this stream's end line (a background process of the command still writing): not
      // any command's output.
      if (!running || running.ends[name] !== null) {
        pending = '';
        return;
      }
      const head = `\u001ecosmos-end:${running.id}:`;
      const at = pending.indexOf(head);
      const end = at < 0 ? null : /^(\d+)\u001e\n/.exec(pending.slice(at + head.length));
      if (at >= 0 && end) {
        const text = pending.slice(0, at);
        pending = '';
        deliver(running, name, text);
        running.ends[name] = Number(end[1]);
        return;
      }
      // Hold back what may be the start of the end line; pass the rest on as it arrives.
      const keep = holdBack(pending, head);
      const text = pending.slice(0, pending.length - keep);
      pending = pending.slice(pending.length - keep);
      deliver(running, name, text);
    },
  };
}

function deliver(running: Running, name: 'stdout' | 'stderr', text: string): void {
  if (!text) return;
  running[name] += text;
  running.options.onOutput?.(text, name);
}

/** How many trailing characters of `text` could be the beginning of the end line `head` + digits + `\x1e\n`. */
function holdBack(text: string, head: string): number {
  for (let at = Math.max(0, text.length - head.length - 12); at < text.length; at += 1) {
    if (text[at] !== '\u001e') continue;
    const rest = text.slice(at);
    if (rest.length <= head.length ? head.startsWith(rest) : rest.startsWith(head) && /^\d*\u001e?$/.test(rest.slice(head.length))) {
      return text.length - at;
    }
  }
  return 0;
}

export interface RemoteShell {
  readonly session: SshSession;
  /** False once the shell's channel closed or was given up; such a shell is never used again. */
  readonly usable: boolean;
  run(argv: readonly string[], command: string, options: ExecOptions): Promise<ExecResult>;
  close(): void;
}

/**
 * Opens a shell on its own channel of the session and waits for its ready line (the login files have run).
 * Fails with HostUnreachableError (before any command) when the channel is refused or the shell never gets ready.
 */
export function openRemoteShell(session: SshSession, host: string, where: string, timeoutMs: number): Promise<RemoteShell> {
  const unreachable = (why: string, cause?: unknown, beforeCommand = false) => new HostUnreachableError(
    host, `${why} on ${where}: ${session.reason || (cause as Error | undefined)?.message || 'the connection dropped'}`, { cause, beforeCommand });
  return new Promise((resolve, reject) => {
    const requested = Date.now();
    let opened = false;
    let usable = true;
    let aborting = false;
    let seq = 0;
    const nonce = randomBytes(12).toString('hex');
    let stream: ClientChannel | null = null;
    const state: { current: Running | null; onReady(): void } = { current: null, onReady: () => onReady() };
    const out = createStreamReader('stdout', state);
    const err = createStreamReader('stderr', state);

    const giveUp = (why: string) => {
      if (!opened) {
        opened = true;
        usable = false;
        try { stream?.close(); } catch { /* already gone */ }
        reject(unreachable(why, undefined, true));
      }
    };
    const timer = setTimeout(() => {
      if (!stream) session.discard(`no channel opened within ${timeoutMs / 1000} s`);
      giveUp(stream ? `the login shell did not start within ${timeoutMs / 1000} s` : 'no channel opened');
    }, timeoutMs);
    const unsubscribe = session.onBroken(() => {
      usable = false;
      giveUp('the connection dropped');
      state.current?.settle(unreachable(`\`${state.current.command.slice(0, 80)}\``));
    });

    function onReady() {
      if (!out.ready || !err.ready || opened) return;
      clearTimeout(timer);
      opened = true;
      const ms = Date.now() - requested;
      if (ms >= slowLoginMs && !reportedSlowLogin.has(host)) {
        reportedSlowLogin.add(host);
        process.emitWarning(`a login on ${host} takes ${(ms / 1000).toFixed(1)} s for the SSH user's login files (~/.bashrc: pyenv/conda init?); make them return early for non-interactive shells`, 'SlowLoginShell');
      }
      resolve(shell);
    }

    const shell: RemoteShell = {
      session,
      get usable() { return usable && !session.broken; },
      close() {
        usable = false;
        unsubscribe();
        // EOF ends the shell's read loop (and, in mode w, kills a command still running).
        try { stream?.end(); } catch { /* already gone */ }
        try { stream?.close(); } catch { /* already gone */ }
      },
      run(argv, command, options) {
        return new Promise((resolveRun, rejectRun) => {
          if (!shell.usable || !stream || state.current) {
            rejectRun(unreachable('the shell is no longer usable', undefined, true));
            return;
          }
          // Unguessable: output that imitates an end line (a hostile log, a crafted file name) cannot end a command early.
          const id = `${nonce}.${++seq}`;
          let settled = false;
          let timeout: NodeJS.Timeout | null = null;
          const running: Running = {
            id, command, options, stdout: '', stderr: '', ends: { stdout: null, stderr: null },
            settle(result) {
              if (settled) return;
              settled = true;
              if (state.current === running) state.current = null;
              if (timeout) clearTimeout(timeout);
              options.signal?.removeEventListener('abort', onAbort);
              if (result instanceof Error) rejectRun(result);
              else resolveRun(result);
            },
          };
          const abort = (why: string) => {
            if (settled) return;
            aborting = true;
            shell.close();
            running.settle(new RemoteCommandError({ command, host, exitCode: null, signal: null, stderr: `${running.stderr}\n${why}` }));
          };
          const onAbort = () => abort('cancelled');
          if (options.signal?.aborted) {
            running.settle(new RemoteCommandError({ command, host, exitCode: null, signal: null, stderr: 'cancelled before it started' }));
            return;
          }
          if (options.timeoutMs) timeout = setTimeout(() => abort('timed out'), options.timeoutMs);
          options.signal?.addEventListener('abort', onAbort, { once: true });
          state.current = running;
          const mode = options.survivesDisconnect ? 'd' : 'w';
          try {
            stream.write(`${id}\n${mode}\n${encodeArgv(argv)}\n`);
          } catch (error) {
            usable = false;
            running.settle(unreachable(`\`${command.slice(0, 80)}\``, error, true));
          }
        });
      },
    };

    const finishIfEnded = () => {
      const running = state.current;
      if (!running || running.ends.stdout === null || running.ends.stderr === null) return;
      const code = running.ends.stdout;
      if (code === 0 || running.options.okExitCodes?.includes(code)) running.settle({ stdout: running.stdout, stderr: running.stderr, exitCode: code });
      else running.settle(new RemoteCommandError({ command: running.command, host, exitCode: code, signal: null, stderr: running.stderr }));
    };

    try {
      session.client.exec(shellCommand, (error, channel) => {
        if (error) {
          clearTimeout(timer);
          unsubscribe();
          // A refused channel (e.g. sshd's MaxSessions) on a live link is a host problem too, but keeps the session.
          if (isConnectionError(session, error)) session.discard(error.message);
          giveUp(`no channel (${error.message})`);
          return;
        }
        if (opened) {
          channel.close();
          return;
        }
        stream = channel;
        channel.setEncoding('utf8');
        channel.on('data', (chunk: string) => { out.push(chunk); finishIfEnded(); });
        channel.stderr.setEncoding('utf8').on('data', (chunk: string) => { err.push(chunk); finishIfEnded(); });
        channel.on('close', () => {
          usable = false;
          unsubscribe();
          clearTimeout(timer);
          giveUp('the login shell exited before it was ready');
          const running = state.current;
          // The shell only exits on EOF (an abort, already settled) or when something killed it: the command's
          // fate is then unknown.
          if (running && !aborting) running.settle(unreachable(`session closed before \`${running.command.slice(0, 80)}\` finished`));
        });
      });
    } catch (error) {
      // ssh2 throws `Not connected` synchronously once the socket is gone: the session is dead.
      clearTimeout(timer);
      unsubscribe();
      session.discard((error as Error).message);
      giveUp('not connected');
    }
  });
}
