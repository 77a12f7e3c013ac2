import { ApplicationFailure, cancellationDetails, CancelledFailure, heartbeat, sleep } from '@temporalio/activity';
import { stat } from 'node:fs/promises';
import {
  buildDockerRunArgv, inspectContainer, startContainer, stopContainer, type ContainerJob, type ContainerState,
} from '../gpu/docker.js';
import { chooseGpus, listBusyGpus } from '../gpu/gpu-allocation.js';
import { syncLogTail } from '../gpu/log-sync.js';
import type { ActivityDeps, GpuHost } from './deps.js';

// Starts on one host are serialised within this process so two GPU slots never pick the same free device.
const hostLocks = new Map<string, Promise<unknown>>();
function withHostLock<T>(host: string, action: () => Promise<T>): Promise<T> {
  const result = (hostLocks.get(host) ?? Promise.resolve()).then(action, action);
  hostLocks.set(host, result.catch(() => undefined));
  return result;
}

/**
 * Idempotent start: inspect by name first; running or exited → attach; absent → pick free GPUs and `docker run`;
 * a name conflict means another attempt won the race → attach. Returns whether an existing container was found.
 */
export async function startOrAttach(
  deps: ActivityDeps, host: GpuHost, job: Omit<ContainerJob, 'gpuDevices'>, gpuCount: number,
): Promise<{ attached: boolean }> {
  const { config, transport } = host;
  if (await inspectContainer(transport, config.docker, job.name)) return { attached: true };
  await withHostLock(config.name, async () => {
    if (await inspectContainer(transport, config.docker, job.name)) return;
    const gpuDevices = await waitForFreeGpus(deps, host, gpuCount, job.name);
    await startContainer(transport, buildDockerRunArgv(config, { ...job, gpuDevices }));
  });
  return { attached: false };
}

async function waitForFreeGpus(deps: ActivityDeps, { config, transport }: GpuHost, count: number, name: string): Promise<number[]> {
  for (;;) {
    const devices = chooseGpus(config.gpus, await listBusyGpus(transport, config.docker), count);
    if (devices) return devices;
    // Another process (a second worker during a rolling restart, or a person) holds the GPUs: wait, visibly.
    heartbeat({ containerName: name, phase: 'waiting for a free GPU' });
    await sleep(deps.pollIntervalMs);
  }
}

export interface FollowOptions {
  name: string;
  remoteLog: string;
  localLog: string;
  /** New log text as it arrives; returns the progress to heartbeat. */
  onLog(text: string): Promise<{ phase: string; progress: number }>;
}

/**
 * Polls the container and copies its log until it stops. A user's cancel stops the container; a worker shutdown
 * or a timeout leaves it running for the next attempt. A container whose log has not grown for the hang timeout
 * is killed and reported as `timeout`.
 */
export async function followContainer(deps: ActivityDeps, { config, transport }: GpuHost, options: FollowOptions): Promise<ContainerState> {
  let lastGrowth = Date.now();
  try {
    for (;;) {
      const state = await inspectContainer(transport, config.docker, options.name);
      const fresh = await syncLogTail(transport, options.remoteLog, options.localLog);
      if (fresh) lastGrowth = Date.now();
      const { phase, progress } = await options.onLog(fresh);
      heartbeat({ containerName: options.name, phase, progress, logOffset: await localSize(options.localLog) });
      if (!state) throw ApplicationFailure.nonRetryable(`container ${options.name} disappeared from ${config.name} before it finished`, 'container_failed');
      if (!isLive(state)) return state;
      if (Date.now() - lastGrowth > deps.hangTimeoutMs) {
        await transport.exec([config.docker, 'kill', options.name], { okExitCodes: [1] });
        await syncLogTail(transport, options.remoteLog, options.localLog).catch(() => '');
        throw ApplicationFailure.nonRetryable(
          `container ${options.name} made no progress for ${Math.round(deps.hangTimeoutMs / 1000)} s and was killed`, 'timeout');
      }
      await sleep(deps.pollIntervalMs);
    }
  } catch (error) {
    if (error instanceof CancelledFailure && cancellationDetails()?.cancelRequested) {
      await stopContainer(transport, config.docker, options.name);
      await syncLogTail(transport, options.remoteLog, options.localLog).catch(() => '');
    }
    throw error;
  }
}

const localSize = (path: string) => stat(path).then((s) => s.size, () => 0);

const isLive = (state: ContainerState) => state.status === 'running' || state.status === 'created' || state.status === 'restarting';
