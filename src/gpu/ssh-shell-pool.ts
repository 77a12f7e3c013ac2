import { openRemoteShell, type RemoteShell } from './ssh-shell.js';
import type { SshSession } from './ssh-session.js';

/** An idle shell is closed after this long, so a quiet worker holds no processes on the host. */
const idleMs = 30_000;

/**
 * The shells of one transport: a command takes an idle shell of the current session or opens one, and gives it
 * back when it ends. The caller bounds how many run at once (OpenSSH's MaxSessions), so at most that many exist.
 */
export function createShellPool(host: string, where: string, openTimeoutMs: number) {
  const idle: Array<{ shell: RemoteShell; timer: NodeJS.Timeout }> = [];

  return {
    async take(session: SshSession): Promise<RemoteShell> {
      while (idle.length > 0) {
        const { shell, timer } = idle.pop()!;
        clearTimeout(timer);
        if (shell.usable && shell.session === session) return shell;
        shell.close();
      }
      return openRemoteShell(session, host, where, openTimeoutMs);
    },
    give(shell: RemoteShell): void {
      if (!shell.usable) {
        shell.close();
        return;
      }
      const entry = {
        shell,
        timer: setTimeout(() => {
          const at = idle.indexOf(entry);
          if (at >= 0) idle.splice(at, 1);
          shell.close();
        }, idleMs),
      };
      entry.timer.unref();
      idle.push(entry);
    },
    close(): void {
      for (const { shell, timer } of idle.splice(0)) {
        clearTimeout(timer);
        shell.close();
      }
    },
  };
}
