import { readFileSync } from 'node:fs';
import { isAbsolute, posix, resolve } from 'node:path';
import { CliError } from './cli-error.js';
import type { BindMount } from './container-state.js';
import { flagBool, flagList, flagValue, parseFlags, type FlagSpec } from './docker-flags.js';

const RUN_FLAGS: Record<string, FlagSpec> = {
  detach: { kind: 'bool', short: 'd' },
  interactive: { kind: 'bool', short: 'i' },
  tty: { kind: 'bool', short: 't' },
  rm: { kind: 'bool' },
  init: { kind: 'bool' },
  privileged: { kind: 'bool' },
  name: { kind: 'value' },
  label: { kind: 'list', short: 'l' },
  volume: { kind: 'list', short: 'v' },
  workdir: { kind: 'value', short: 'w' },
  env: { kind: 'list', short: 'e' },
  'env-file': { kind: 'list' },
  gpus: { kind: 'value' },
  ipc: { kind: 'value' },
  'shm-size': { kind: 'value' },
  user: { kind: 'value', short: 'u' },
  network: { kind: 'value' },
  net: { kind: 'value' },
  entrypoint: { kind: 'value' },
  hostname: { kind: 'value', short: 'h' },
  ulimit: { kind: 'list' },
  'cap-add': { kind: 'list' },
  runtime: { kind: 'value' },
  pull: { kind: 'value' },
  platform: { kind: 'value' },
  'add-host': { kind: 'list' },
};

/** The fake image's WORKDIR and environment, like the cosmos-transfer1 image. */
const IMAGE_WORKDIR = '/workspace';

export interface RunRequest {
  /** `-d`; otherwise attached: the CLI forwards the output and exits with the container (docker-run-attached.ts). */
  detach: boolean;
  /** `--pull`: missing (default), always or never. */
  pull: string;
  runtime: string | null;
  name: string | undefined;
  image: string;
  cmd: string[];
  entrypoint: string[] | null;
  labels: Record<string, string>;
  env: string[];
  mounts: BindMount[];
  workingDir: string;
  gpus: string | null;
  ipcMode: string;
  shmSize: string | null;
  user: string;
  network: string;
  autoRemove: boolean;
}

/**
 * The process that typed `docker run`: the docker CLI, not the daemon, resolves `-e NAME` from its own environment and
 * reads `--env-file` relative to its own directory (docker/cli v27.3.1 opts/env.go ValidateEnv, opts/file.go).
 */
export interface RunCaller { env: NodeJS.ProcessEnv; cwd: string }

/** `docker run … -d …`: false too when the flags do not parse (the caller's own process then prints the error). */
export function isDetachedRun(args: string[]): boolean {
  try {
    return flagBool(parseFlags('run', args, RUN_FLAGS, true), 'detach');
  } catch {
    return false;
  }
}

export function parseRunArgs(args: string[], caller: RunCaller = { env: process.env, cwd: process.cwd() }): RunRequest {
  const flags = parseFlags('run', args, RUN_FLAGS, true);
  const [image, ...cmd] = flags.positionals;
  if (!image) throw new CliError(`docker: 'docker run' requires at least 1 argument.\nSee 'docker run --help'.`, 125);
  const name = flagValue(flags, 'name');
  if (name !== undefined && !/^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(name)) {
    throw new CliError(
      `docker: Error response from daemon: Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed.\nSee 'docker run --help'.`,
      125,
    );
  }
  const workingDir = flagValue(flags, 'workdir') ?? IMAGE_WORKDIR;
  if (!workingDir.startsWith('/')) {
    throw new CliError(
      `docker: Error response from daemon: the working directory '${workingDir}' is invalid, it needs to be an absolute path.\nSee 'docker run --help'.`,
      125,
    );
  }
  const entrypoint = flagValue(flags, 'entrypoint');
  const pull = flagValue(flags, 'pull') ?? 'missing';
  if (!['missing', 'always', 'never'].includes(pull)) {
    throw new CliError(`docker: invalid pull option: '${pull}': must be one of "always", "missing" or "never".\nSee 'docker run --help'.`, 125);
  }
  return {
    detach: flagBool(flags, 'detach'),
    pull,
    runtime: flagValue(flags, 'runtime') ?? null,
    name: name?.replace(/^\//, ''),
    image,
    cmd: cmd.length > 0 ? cmd : entrypoint === undefined ? ['/bin/bash'] : [],
    entrypoint: entrypoint === undefined ? null : [entrypoint],
    labels: parseLabels(flagList(flags, 'label')),
    env: parseEnv([...flagList(flags, 'env-file').flatMap((path) => readEnvFile(resolve(caller.cwd, path), path)), ...flagList(flags, 'env')], caller.env),
    mounts: uniqueDestinations(flagList(flags, 'volume').map(parseVolume)),
    workingDir: posix.normalize(workingDir),
    gpus: flagValue(flags, 'gpus') ?? null,
    ipcMode: flagValue(flags, 'ipc') ?? 'private',
    shmSize: flagValue(flags, 'shm-size') ?? null,
    user: flagValue(flags, 'user') ?? '',
    network: flagValue(flags, 'network') ?? flagValue(flags, 'net') ?? 'bridge',
    autoRemove: flagBool(flags, 'rm'),
  };
}

function uniqueDestinations(mounts: BindMount[]): BindMount[] {
  const seen = new Set<string>();
  for (const mount of mounts) {
    if (seen.has(mount.destination)) throw new CliError(`docker: Error response from daemon: Duplicate mount point: ${mount.destination}.`, 125);
    seen.add(mount.destination);
  }
  return mounts;
}

function parseLabels(entries: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const entry of entries) {
    const equals = entry.indexOf('=');
    if (equals === -1) labels[entry] = '';
    else labels[entry.slice(0, equals)] = entry.slice(equals + 1);
  }
  return labels;
}

/** `-e K=V` sets, `-e K` copies K from the calling environment if it is set there. */
function parseEnv(entries: string[], callerEnv: NodeJS.ProcessEnv): string[] {
  return entries.flatMap((entry) => {
    if (entry.includes('=')) return [entry];
    const value = callerEnv[entry];
    return value === undefined ? [] : [`${entry}=${value}`];
  });
}

function readEnvFile(path: string, asGiven: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new CliError(`docker: open ${asGiven}: no such file or directory.\nSee 'docker run --help'.`, 125);
  }
  return text.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
}

/**
 * `-v /host:/container[:ro]` binds a host path. `-v /container` alone is an anonymous volume: Docker makes a new,
 * empty volume private to this container (its source, empty here, is chosen by docker-run.ts).
 */
function parseVolume(spec: string): BindMount {
  if (!spec.includes(':') && spec.startsWith('/')) return { source: '', destination: posix.normalize(spec), readOnly: false };
  const [source = '', destination = '', options = ''] = spec.split(':');
  if (!isAbsolute(source)) {
    throw new CliError(
      `docker: the simulator supports only bind mounts with an absolute host path, got "${spec}".\nSee 'docker run --help'.`,
      125,
    );
  }
  if (!destination.startsWith('/')) {
    throw new CliError(`docker: Error response from daemon: invalid volume specification: '${spec}'.`, 125);
  }
  return { source, destination: posix.normalize(destination), readOnly: options.split(',').includes('ro') };
}
