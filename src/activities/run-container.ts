import {
  activityInfo, ApplicationFailure, cancellationDetails, CancelledFailure, heartbeat, sleep,
} from '@temporalio/activity';
import { readFile, stat } from 'node:fs/promises';
import { addRunEvent, markRunRunning, updateRunProgress } from '../db/queries/runs.js';
import { classifyContainerFailure } from '../gpu/classify-failure.js';
import {
  buildDockerRunArgv, containerNameFor, inspectContainer, startContainer, stopContainer, type ContainerState,
} from '../gpu/docker.js';
import { describeJobLayout } from '../gpu/job-layout.js';
import { createLogProgressTracker } from '../gpu/log-progress.js';
import { syncLogTail } from '../gpu/log-sync.js';
import { countChunks, transferModelArgs } from '../models/transfer.js';
import { localRunDir, requireHost, type ActivityDeps } from './deps.js';
import { loadRunWithPrompt } from './upload-inputs.js';

export interface ContainerResult { containerName: string; exitCode: number; attached: boolean }

export function createContainerActivities(deps: ActivityDeps) {
  return {
    /**
     * Starts the run's container or re-attaches to it, then follows it to the end.
     * Idempotent: the container name is derived from the run id, so a retry after a worker crash
     * finds the container it started instead of starting a second GPU job.
     */
    async runContainer(input: { runId: string; host: string }): Promise<ContainerResult> {
      const { run, prompt } = await loadRunWithPrompt(deps, input.runId);
      const { config, transport } = requireHost(deps, input.host);
      const name = containerNameFor(run.modelType, run.id);
      const layout = describeJobLayout(config.remote_dir, run.id);
      const localLog = `${localRunDir(deps, run.id)}/run.log`;
      heartbeat({ containerName: name, phase: 'attaching', attempt: activityInfo().attempt });

      let state = await inspectContainer(transport, config.docker, name);
      const attached = state !== null;
      if (!state) {
        const gpuDevices = config.gpus.slice(0, config.gpus_per_job);
        const argv = buildDockerRunArgv(config, {
          name, runId: run.id, modelType: run.modelType, gpuDevices, logPath: layout.rel.logPath,
          modelArgs: transferModelArgs({ specPath: layout.rel.specPath, outputDir: layout.rel.outputsDir, gpus: gpuDevices.length }),
        });
        await startContainer(transport, argv);
        state = await inspectContainer(transport, config.docker, name);
      }
      const tracker = createLogProgressTracker(countChunks(prompt.inputs.video.frames));
      // Replaying what an earlier attempt already copied restores the progress state without re-reading the host.
      tracker.feed(await readFile(localLog, 'utf8').catch(() => ''));
      await markRunRunning(deps.db, run.id, { containerName: name, stage: tracker.current().stage });
      await addRunEvent(deps.db, { runId: run.id, stage: 'starting', progress: 0.05, message: `container ${name} started` });
      try {
        for (;;) {
          state = await inspectContainer(transport, config.docker, name);
          const fresh = await syncLogTail(transport, layout.abs.logPath, localLog);
          const milestones = tracker.feed(fresh);
          for (const milestone of milestones) await addRunEvent(deps.db, { runId: run.id, ...milestone });
          const current = tracker.current();
          if (milestones.length > 0) await updateRunProgress(deps.db, run.id, current.stage, current.progress);
          heartbeat({ containerName: name, phase: current.stage, progress: current.progress, logOffset: await localSize(localLog) });
          if (!state || !isLive(state)) break;
          await sleep(deps.pollIntervalMs);
        }
      } catch (error) {
        // Only a user's cancel stops the container; worker shutdown and timeouts leave it for the next attempt.
        if (error instanceof CancelledFailure && cancellationDetails()?.cancelRequested) {
          await stopContainer(transport, config.docker, name);
          await syncLogTail(transport, layout.abs.logPath, localLog).catch(() => '');
        }
        throw error;
      }

      if (!state) throw ApplicationFailure.nonRetryable(`container ${name} disappeared from ${config.name} before it finished`, 'container_failed');
      if (state.exitCode !== 0) {
        const log = await readFile(localLog, 'utf8').catch(() => '');
        const failure = classifyContainerFailure(state.exitCode, log, state.oomKilled);
        throw ApplicationFailure.nonRetryable(failure.message, failure.kind);
      }
      return { containerName: name, exitCode: 0, attached };
    },

    /** Stops the run's container if it still runs (user cancel path from the workflow). */
    async stopRunContainer(input: { runId: string; host: string; modelType: string }): Promise<void> {
      const { config, transport } = requireHost(deps, input.host);
      await stopContainer(transport, config.docker, containerNameFor(input.modelType, input.runId));
    },
  };
}

const localSize = (path: string) => stat(path).then((s) => s.size, () => 0);

const isLive = (state: ContainerState) => state.status === 'running' || state.status === 'created' || state.status === 'restarting';
