import { rmSync } from 'node:fs';
import { CliError } from './cli-error.js';
import { findContainer, logPath, type ContainerConfig } from './container-state.js';
import { startExitCode } from './docker-daemon-errors.js';
import { readLogEntries } from './log-store.js';
import { containerDir } from './sim-home.js';

/**
 * `docker run` without `-d` (docker/cli v27.3.1 cli/command/container/run.go): the CLI attaches to the container's
 * stdout and stderr, forwards them to its own, and exits with the container's exit code once it has ended; with
 * `--rm` the container is gone afterwards. A start failure is printed as `docker: Error response from daemon: …`.
 * Here the output is forwarded from the stored log (as `docker logs -f` reads it), so it arrives line by line.
 */
export async function runAttached(home: string, config: ContainerConfig, start: () => void): Promise<number> {
  const name = config.name;
  let offset = 0;
  const forward = () => {
    const next = readLogEntries(logPath(home, name), offset);
    offset = next.nextOffset;
    for (const entry of next.entries) (entry.s === 'stderr' ? process.stderr : process.stdout).write(entry.d);
  };
  const remove = () => {
    if (config.autoRemove) rmSync(containerDir(home, name), { recursive: true, force: true });
  };
  start();
  for (;;) {
    const container = findContainer(home, name);
    if (!container) return 0;
    if (container.state.error !== '') {
      remove();
      throw new CliError(`docker: Error response from daemon: ${container.state.error.replace(/\.$/, '')}.`, startExitCode(container.state.error));
    }
    forward();
    if (container.state.status === 'exited') {
      forward();
      remove();
      return container.state.exitCode;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
