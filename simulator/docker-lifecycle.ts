import { renameSync, rmSync } from 'node:fs';
import { constants } from 'node:os';
import { CliError } from './cli-error.js';
import { findContainer, waitForExit, type Container } from './container-state.js';
import { flagBool, flagValue, parseFlags } from './docker-flags.js';
import { containerDir } from './sim-home.js';

function requireNames(command: string, names: string[]): void {
  if (names.length === 0) {
    throw new CliError(`"docker ${command}" requires at least 1 argument.\nSee 'docker ${command} --help'.`, 1);
  }
}

/** Runs `action` for every named container like the docker CLI: errors go to stderr, and any error means exit 1. */
async function forEachContainer(
  home: string,
  references: string[],
  action: (container: Container, reference: string) => Promise<string | undefined>,
): Promise<number> {
  let failed = false;
  for (const reference of references) {
    const container = findContainer(home, reference);
    try {
      if (!container) throw new CliError(`Error response from daemon: No such container: ${reference}`, 1);
      const output = await action(container, reference);
      if (output !== undefined) process.stdout.write(`${output}\n`);
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      failed = true;
      process.stderr.write(`${error.message}\n`);
    }
  }
  return failed ? 1 : 0;
}

/** Signals the container's process group; a pid of 0 or 1 would mean our own group or every process, so never. */
function signalGroup(pid: number, signal: NodeJS.Signals | number): void {
  if (pid <= 1) return;
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

export async function waitContainers(home: string, args: string[]): Promise<number> {
  const { positionals } = parseFlags('wait', args, {});
  requireNames('wait', positionals);
  return forEachContainer(home, positionals, async (container) => {
    const exited = await waitForExit(home, container.config.name);
    return String(exited?.state.exitCode ?? 0);
  });
}

export async function stopContainers(home: string, args: string[]): Promise<number> {
  const flags = parseFlags('stop', args, { time: { kind: 'value', short: 't' }, signal: { kind: 'value', short: 's' } });
  requireNames('stop', flags.positionals);
  const graceSeconds = Number(flagValue(flags, 'time') ?? 10);
  const signal = parseSignal(flagValue(flags, 'signal') ?? 'SIGTERM');
  return forEachContainer(home, flags.positionals, async (container, reference) => {
    if (container.state.status === 'running') {
      signalGroup(container.state.pid, signal);
      const after = await waitForExit(home, container.config.name, graceSeconds * 1000);
      if (after?.state.status === 'running') {
        signalGroup(after.state.pid, 'SIGKILL');
        await waitForExit(home, container.config.name);
      }
    }
    return reference;
  });
}

export async function killContainers(home: string, args: string[]): Promise<number> {
  const flags = parseFlags('kill', args, { signal: { kind: 'value', short: 's' } });
  requireNames('kill', flags.positionals);
  const signal = parseSignal(flagValue(flags, 'signal') ?? 'SIGKILL');
  return forEachContainer(home, flags.positionals, async (container, reference) => {
    if (container.state.status !== 'running') {
      throw new CliError(
        `Error response from daemon: cannot kill container: ${reference}: container ${container.config.id} is not running`,
        1,
      );
    }
    signalGroup(container.state.pid, signal);
    if (signal === 'SIGKILL') await waitForExit(home, container.config.name, 10_000);
    return reference;
  });
}

export async function removeContainers(home: string, args: string[]): Promise<number> {
  const flags = parseFlags('rm', args, {
    force: { kind: 'bool', short: 'f' },
    volumes: { kind: 'bool', short: 'v' },
    link: { kind: 'bool', short: 'l' },
  });
  requireNames('rm', flags.positionals);
  return forEachContainer(home, flags.positionals, async (container, reference) => {
    const name = container.config.name;
    if (container.state.status === 'running') {
      if (!flagBool(flags, 'force')) {
        throw new CliError(
          `Error response from daemon: cannot remove container "/${name}": container is running: stop the container before removing or force remove`,
          1,
        );
      }
      signalGroup(container.state.pid, 'SIGKILL');
      await waitForExit(home, name, 10_000);
    }
    // Renaming first frees the name at once, so a racing `docker run` never sees a half-deleted folder.
    const doomed = containerDir(home, `.removing-${container.config.id}`);
    renameSync(containerDir(home, name), doomed);
    rmSync(doomed, { recursive: true, force: true });
    return reference;
  });
}

function parseSignal(text: string): NodeJS.Signals | number {
  if (/^\d+$/.test(text)) return Number(text);
  const name = (text.toUpperCase().startsWith('SIG') ? text.toUpperCase() : `SIG${text.toUpperCase()}`) as NodeJS.Signals;
  if (!(name in constants.signals)) throw new CliError(`Error response from daemon: Invalid signal: ${text}`, 1);
  return name;
}
