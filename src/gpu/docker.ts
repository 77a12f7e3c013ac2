import type { GpuHostConfig } from '../config.js';
import { formatGpuLabel, gpuLabel } from './gpu-allocation.js';
import { RemoteCommandError } from './remote-command-error.js';
import { quoteArg, quoteCommand } from './shell-quote.js';
import type { GpuHostTransport } from './transport.js';

export const completionMarker = '[COSMOS_COMPLETE] exit_code=';

/**
 * A model argument: literal, or the contents of a file the container's shell reads (keeps prompts off command
 * lines), optionally glued to a flag (`--prompt=<contents>`, so argparse takes text starting with `-` as its value).
 */
export type ModelArg = string | { contentsOf: string; flag?: string };

/** What a model type runs in its container: the image, its mounts and environment, and the command. */
export interface ContainerLaunch {
  image: string;
  /** `-v` values: `host:container[:ro]`, or an anonymous volume's container path. */
  mounts: string[];
  workdir: string;
  env: Record<string, string>;
  command: ModelArg[];
}

export interface ContainerJob {
  name: string;
  /** The job's key (a run id, or `<batch>-<segment>`); labelled on the container. */
  runId: string;
  modelType: string;
  gpuDevices: number[];
  launch: ContainerLaunch;
  /** Relative to the working dir. */
  logPath: string;
  /** On the host: the host's `env` as KEY=VALUE lines (mode 0600), so no value shows in `ps`. */
  envFile?: string;
}

/** One name per job on a host: a retry derives the same name and so finds the container instead of starting another. */
export function containerNameFor(modelType: string, jobKey: string): string {
  return `cosmos-${modelType}-${jobKey}`;
}

export function quoteModelArg(arg: ModelArg): string {
  if (typeof arg === 'string') return quoteArg(arg);
  return `${arg.flag ? `${quoteArg(arg.flag)}=` : ''}"$(cat -- ${quoteArg(arg.contentsOf)})"`;
}

/** The full `docker run` argv. Detached and without --rm: the exit code and files must survive an orchestrator crash. */
export function buildDockerRunArgv(host: GpuHostConfig, job: ContainerJob): string[] {
  const log = job.logPath;
  const script = `${job.launch.command.map(quoteModelArg).join(' ')} 2>&1 | tee ${quoteCommand([log])}; code=\${PIPESTATUS[0]}; `
    + `echo "${completionMarker}$code" >> ${quoteCommand([log])}; exit $code`;
  return [
    host.docker, 'run', '-d',
    '--name', job.name,
    '--label', `cosmos.run_id=${job.runId}`,
    '--label', `cosmos.model_type=${job.modelType}`,
    '--label', `${gpuLabel}=${formatGpuLabel(job.gpuDevices)}`,
    '--gpus', `"device=${job.gpuDevices.join(',')}"`,
    '--ipc=host',
    ...job.launch.mounts.flatMap((mount) => ['-v', mount]),
    '-w', job.launch.workdir,
    ...Object.entries(job.launch.env).flatMap(([key, value]) => ['-e', `${key}=${value}`]),
    ...(job.envFile ? ['--env-file', job.envFile] : []),
    ...host.docker_args,
    job.launch.image,
    'bash', '-c', script,
  ];
}

/** The host's `env` in docker's --env-file format; null when there is none. Values are checked for newlines in config. */
export function formatEnvFile(env: Record<string, string>): string | null {
  const entries = Object.entries(env);
  return entries.length === 0 ? null : entries.map(([key, value]) => `${key}=${value}\n`).join('');
}

export interface ContainerState {
  status: 'created' | 'running' | 'paused' | 'restarting' | 'exited' | 'dead' | 'removing';
  exitCode: number;
  oomKilled: boolean;
  startedAt: string;
  finishedAt: string;
  /** Docker's State.Error: why a container could not start (it stays `created` or `exited` with this set). */
  error: string;
}

/** Docker created the container but could not start it, or refused to create it; retrying cannot help. */
export class ContainerStartError extends Error {
  override readonly name = 'ContainerStartError';
}

export async function inspectContainer(transport: GpuHostTransport, docker: string, name: string): Promise<ContainerState | null> {
  const result = await transport.exec([docker, 'inspect', '--type', 'container', name], { okExitCodes: [1] });
  if (result.exitCode === 1) {
    if (/no such (object|container)/i.test(result.stderr)) return null;
    throw new RemoteCommandError({ command: `${docker} inspect ${name}`, host: transport.hostName, exitCode: 1, signal: null, stderr: result.stderr });
  }
  const [info] = JSON.parse(result.stdout) as { State: Record<string, unknown> }[];
  if (!info) return null;
  const state = info.State;
  return {
    status: String(state.Status) as ContainerState['status'],
    exitCode: Number(state.ExitCode ?? 0),
    oomKilled: Boolean(state.OOMKilled),
    startedAt: String(state.StartedAt ?? ''),
    finishedAt: String(state.FinishedAt ?? ''),
    error: String(state.Error ?? ''),
  };
}

/**
 * Starts the container; a name conflict means another attempt already started it, which is fine.
 * `docker run` exits 125 when the daemon fails (the container may be left `created` with State.Error set: an
 * unknown GPU, no NVIDIA runtime, a driver too old, a missing image) and 126/127 when the command cannot run:
 * those are ContainerStartError. A daemon that cannot be reached at all is a plain, retryable RemoteCommandError.
 */
export async function startContainer(transport: GpuHostTransport, argv: string[], invokedMarker: string): Promise<'started' | 'already-exists'> {
  // The marker on the host proves `docker run` was invoked; it is never killed half-way by a dropped link.
  const result = await transport.exec(['sh', '-c', 'touch -- "$1" && shift && exec "$@"', 'sh', invokedMarker, ...argv],
    { okExitCodes: [125, 126, 127], survivesDisconnect: true });
  if (result.exitCode === 0) return 'started';
  const stderr = result.stderr.trim();
  if (result.exitCode === 125 && /already in use/i.test(stderr)) return 'already-exists';
  if (/cannot connect to the docker daemon|is the docker daemon running/i.test(stderr)) {
    throw new RemoteCommandError({ command: argv.slice(0, 4).join(' '), host: transport.hostName, exitCode: result.exitCode, signal: null, stderr });
  }
  throw new ContainerStartError(`docker run failed on ${transport.hostName} (exit ${result.exitCode}): ${stderr || 'no message'}`);
}

/** Removes a container that was created but never started, so its name and devices are free again. */
export async function removeContainer(transport: GpuHostTransport, docker: string, name: string): Promise<void> {
  await transport.exec([docker, 'rm', '-f', name], { okExitCodes: [1] });
}

/** SIGTERM, then SIGKILL after the grace period. Only for a user's cancel: worker shutdowns leave containers alone. */
export async function stopContainer(transport: GpuHostTransport, docker: string, name: string, graceSeconds = 10): Promise<void> {
  const state = await inspectContainer(transport, docker, name);
  if (!state || state.status !== 'running') return;
  await transport.exec([docker, 'stop', '-t', String(graceSeconds), name], { okExitCodes: [1] });
  const after = await inspectContainer(transport, docker, name);
  if (after?.status === 'running') await transport.exec([docker, 'kill', name], { okExitCodes: [1] });
}
