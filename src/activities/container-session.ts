import { ApplicationFailure, cancellationDetails, heartbeat, sleep } from '@temporalio/activity';
import { stat } from 'node:fs/promises';
import { clearContainerStarting, markContainerStarting, wasContainerStarted } from '../db/queries/container-starts.js';
import { findGpuJob } from '../db/queries/gpu-queue.js';
import { runWithAbortSignal } from '../gpu/abort-scope.js';
import {
  buildDockerRunArgv, completionMarker, ContainerStartError, formatEnvFile, inspectContainer, startContainer, stopContainer, type ContainerJob, type ContainerState,
} from '../gpu/docker.js';
import { listOurContainers } from '../gpu/gpu-allocation.js';
import { describeJobLayout } from '../gpu/job-layout.js';
import { readLogTail, syncLogTail } from '../gpu/log-sync.js';
import { HostUnreachableError } from '../gpu/remote-command-error.js';
import type { ActivityDeps, GpuHost } from './deps.js';

export interface StartRequest extends Omit<ContainerJob, 'gpuDevices' | 'envFile'> {
  /** The runs this container serves: its start is recorded on each of them before `docker run`. */
  runIds: string[];
  /** Variables for the container that go through an env file (host secrets, model settings). */
  env: Record<string, string>;
}

/**
 * Exactly one start per container name. The start is recorded before `docker run`, so a job with no recorded start
 * has no container: start it. One with a recorded start looks first: present → attach (a failed start is a failure,
 * not a container to wait for); absent → if `docker run` was invoked the container was lost (host reboot, docker rm)
 * and is never started again, otherwise it may start now. A name conflict means another attempt won the race →
 * attach. `started` is set when this call ran `docker run` itself and it succeeded.
 */
export async function startOrAttach(deps: ActivityDeps, host: GpuHost, job: StartRequest, gpuDevices: number[]): Promise<{ attached: boolean; started: boolean }> {
  const { config, transport } = host;
  if (await wasContainerStarted(deps.db, job.runIds, job.name)) {
    // One listing answers "is it there?"; inspect only a container that is there.
    const listing = await listOurContainers(transport, config.docker);
    if (listing.some((c) => c.name === job.name)) {
      const found = await inspectContainer(transport, config.docker, job.name);
      if (found) refuseFailedStart(job.name, found);
      if (found) return { attached: true, started: false };
    }
    await refuseLostContainer(deps, host, job);
  }
  // The devices come from the job's lease: no other job holds them, in this process or any other, as long as the
  // lease is still this job's (checked right before the start, never assumed).
  await refuseLostLease(deps, job.runId, config.name, gpuDevices);
  const envFile = await writeEnvFile(host, job);
  await markContainerStarting(deps.db, job.runIds, job.name);
  let attached: boolean;
  try {
    const argv = buildDockerRunArgv(config, {
      name: job.name, runId: job.runId, modelType: job.modelType, launch: job.launch, logPath: job.logPath, gpuDevices, ...(envFile ? { envFile } : {}),
    });
    attached = (await startContainer(transport, argv, invokedMarker(host, job))) === 'already-exists';
  } catch (error) {
    // Only when the command provably never reached the host may a later attempt start it after all.
    if (error instanceof HostUnreachableError && error.beforeCommand) await clearContainerStarting(deps.db, job.runIds, job.name);
    if (error instanceof ContainerStartError) throw ApplicationFailure.nonRetryable(error.message, 'container_failed');
    throw error;
  }
  if (attached) refuseFailedStart(job.name, await inspectContainer(transport, config.docker, job.name));
  return { attached, started: !attached };
}

async function refuseLostLease(deps: ActivityDeps, jobKey: string, hostName: string, devices: number[]): Promise<void> {
  const lease = await findGpuJob(deps.db, jobKey);
  const held = lease?.host === hostName && JSON.stringify(lease.devices) === JSON.stringify(devices);
  if (held) return;
  throw ApplicationFailure.nonRetryable(
    `the GPU lease of job ${jobKey} (${hostName} GPU ${devices.join(', ')}) is no longer held, so its container is not started; retry the run`, 'internal');
}

/** The host's env (tokens) goes to docker through a file only the SSH user can read, never on a command line. */
async function writeEnvFile({ config, transport }: GpuHost, job: StartRequest): Promise<string | null> {
  const text = formatEnvFile(job.env);
  if (text === null) return null;
  const path = describeJobLayout(config.remote_dir, job.runId).abs.envFile;
  await transport.writeFile(path, text, { mode: 0o600 });
  return path;
}

/** Written on the host by the same command that runs `docker run`, in the job's own folder. */
const invokedMarker = ({ config }: GpuHost, job: StartRequest) => `${describeJobLayout(config.remote_dir, job.runId).abs.jobDir}/.docker-run-invoked`;

/** A recorded start whose container is absent: start it only if `docker run` provably never reached the host. */
async function refuseLostContainer(deps: ActivityDeps, host: GpuHost, job: StartRequest): Promise<void> {
  const { config, transport } = host;
  // Recorded, but the command never reached the host (the worker died in between): it may start now, once.
  if (!(await transport.stat(invokedMarker(host, job)))) {
    await clearContainerStarting(deps.db, job.runIds, job.name);
    return;
  }
  // Invoked and still running (an image pull, a link that dropped meanwhile): not lost, just not there yet.
  if (await isDockerRunInProgress(host, job.name)) {
    throw new Error(`docker run of ${job.name} is still in progress on ${config.name}; trying again shortly`);
  }
  throw ApplicationFailure.nonRetryable(
    `container ${job.name} was started on ${config.name} but is gone (host reboot, docker rm or prune); it is not started a second time`,
    'container_lost');
}

async function isDockerRunInProgress({ transport }: GpuHost, name: string): Promise<boolean> {
  const listing = await transport.exec(['ps', '-eo', 'args'], { okExitCodes: [1] }).catch(() => null);
  return (listing?.stdout ?? '').split('\n').some((line) => line.includes(' run ') && line.includes(`--name ${name} `));
}

/** `docker run` that created the container but could not start it leaves it `created` (or exited) with State.Error. */
function refuseFailedStart(name: string, state: ContainerState | null): void {
  if (!state?.error || state.status === 'running') return;
  throw ApplicationFailure.nonRetryable(`container ${name} could not start: ${state.error}`, 'container_failed');
}

export interface FollowOptions {
  name: string;
  remoteLog: string;
  localLog: string;
  /** A container whose log has not grown for this long is killed (the run fails with `timeout`). */
  hangTimeoutMs: number;
  /** Why the model can no longer finish this job, once its log shows it (then a short silence ends the container). */
  stuck?(): string | null;
  /** New log text as it arrives (written down before the bytes join the local log); returns the progress to heartbeat. */
  /** `ending`: the log says the job's last outputs are saved; only the container's exit is left. */
  onLog(text: string): Promise<{ phase: string; progress: number; ending?: boolean }>;
  /** This attempt's own `docker run -d` just returned: the container is running, no need to ask docker at once. */
  justStarted?: boolean;
}

/**
 * Copies the container's log until the container stops. The log is read over SFTP (no command on the host) every
 * 100–400 ms (followDelayMs); `docker inspect` runs every three poll intervals, and at once when the log shows the
 * launcher's completion line. A user's cancel stops the container; a worker
 * shutdown or a timeout leaves it running for the next attempt. A container whose log has not grown for the hang
 * timeout is killed and reported as `timeout`; one that vanished mid-run is `container_lost`.
 */
export async function followContainer(deps: ActivityDeps, host: GpuHost, options: FollowOptions): Promise<ContainerState> {
  const { config, transport } = host;
  const started = Date.now();
  let lastGrowth = started;
  let finishing = false;
  let finishingPolls = 0;
  let inspectedAt = options.justStarted ? started : 0;
  let heartbeatAt = 0;
  let state: ContainerState | null = options.justStarted ? { status: 'running', exitCode: 0, oomKilled: false, startedAt: '', finishedAt: '', error: '' } : null;
  try {
    for (;;) {
      if (finishing || Date.now() - inspectedAt >= inspectEveryMs(deps.pollIntervalMs)) {
        inspectedAt = Date.now();
        state = await inspectContainer(transport, config.docker, options.name);
      }
      // Read after the inspect: a container seen exited has written all of its log.
      const fresh = await readLogTail(transport, options.remoteLog, options.localLog);
      if (fresh.text) {
        lastGrowth = Date.now();
        if (fresh.text.includes(completionMarker)) finishing = true;
      }
      const { phase, progress, ending = false } = await options.onLog(fresh.text);
      await fresh.commit();
      if (fresh.text || Date.now() - heartbeatAt >= 1000) {
        heartbeatAt = Date.now();
        heartbeat({ containerName: options.name, phase, progress, logOffset: await localSize(options.localLog) });
      }
      if (!state) {
        throw ApplicationFailure.nonRetryable(
          `container ${options.name} disappeared from ${config.name} while it ran (host reboot, docker rm or prune)`, 'container_lost');
      }
      refuseFailedStart(options.name, state);
      if (!isLive(state)) return state;
      const stuck = options.stuck?.() ?? null;
      if (stuck !== null && Date.now() - lastGrowth > stuckSilenceMs(options.hangTimeoutMs)) {
        // Not a timeout: the model said it cannot go on; what finished is kept and the rest is the model's to judge.
        await transport.exec([config.docker, 'kill', options.name], { okExitCodes: [1] });
        await syncLogTail(transport, options.remoteLog, options.localLog).catch(() => '');
        const killed = await inspectContainer(transport, config.docker, options.name);
        if (killed) return killed;
        throw ApplicationFailure.nonRetryable(`container ${options.name} disappeared from ${config.name} as it was stopped (docker rm or prune)`, 'container_lost');
      }
      if (Date.now() - lastGrowth > options.hangTimeoutMs) {
        await transport.exec([config.docker, 'kill', options.name], { okExitCodes: [1] });
        await syncLogTail(transport, options.remoteLog, options.localLog).catch(() => '');
        throw ApplicationFailure.nonRetryable(
          `container ${options.name} made no progress for ${Math.round(options.hangTimeoutMs / 1000)} s and was killed`, 'timeout');
      }
      await sleep(finishing ? finishingDelayMs(finishingPolls++) : followDelayMs(Date.now() - started, deps.pollIntervalMs, ending));
    }
  } catch (error) {
    // A user's cancel may surface as CancelledFailure or as the aborted command that was in flight.
    if (cancellationDetails()?.cancelRequested) {
      // The attempt's own abort signal has fired; the stop must still reach the host.
      await runWithAbortSignal(undefined, async () => {
        await stopContainer(transport, config.docker, options.name);
        await syncLogTail(transport, options.remoteLog, options.localLog).catch(() => '');
      });
    }
    throw error;
  }
}

/** How long a container stays silent after its model said it is stuck before it is stopped. */
export const stuckSilenceMs = (hangTimeoutMs: number) => Math.min(120_000, hangTimeoutMs / 10);

/** `docker inspect` (a command on the host) every three poll intervals; the log reads between them are SFTP stats. */
export const inspectEveryMs = (pollIntervalMs: number) => pollIntervalMs * 3;

/**
 * How long the log follower sleeps between reads of the log (one SFTP stat, no command on the host): 250 ms for
 * the first 5 s of a container (short jobs end there), then 400 ms, so an exit (the launcher's completion line) is
 * seen and its GPU lease freed within half a second; 50 ms once the log says the job's last outputs are saved and
 * only the exit is left (one stat each, for the moments until the launcher's completion line); never longer than
 * the poll interval.
 */
export function followDelayMs(elapsedMs: number, pollIntervalMs: number, ending = false): number {
  return Math.min(pollIntervalMs, ending ? 50 : elapsedMs < 5_000 ? 250 : 400);
}

/**
 * Between the `docker inspect`s after the launcher's completion line: the container exits within moments of it (the
 * line is its shell's last act), so 25 ms, then twice as long each time, at most 800 ms.
 */
export const finishingDelayMs = (inspectsSoFar: number) => Math.min(25 * 2 ** inspectsSoFar, 800);

const localSize = (path: string) => stat(path).then((s) => s.size, () => 0);

const isLive = (state: ContainerState) => state.status === 'running' || state.status === 'created' || state.status === 'restarting';
