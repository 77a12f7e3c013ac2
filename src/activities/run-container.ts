import { activityInfo, ApplicationFailure, heartbeat } from '@temporalio/activity';
import { readFile } from 'node:fs/promises';
import { addRunEvent, markRunRunning, updateRunProgress } from '../db/queries/runs.js';
import { classifyContainerFailure } from '../gpu/classify-failure.js';
import { containerNameFor, stopContainer } from '../gpu/docker.js';
import { describeJobLayout } from '../gpu/job-layout.js';
import { createLogProgressTracker } from '../gpu/log-progress.js';
import { localRunDir, requireHost, type ActivityDeps } from './deps.js';
import { followContainer, startOrAttach } from './container-session.js';
import { loadJob } from './job-context.js';
import { createProgressReporter } from './progress-reporter.js';

export interface ContainerResult { containerName: string; exitCode: number; attached: boolean }

export function createContainerActivities(deps: ActivityDeps) {
  return {
    /**
     * Starts the run's container or re-attaches to it, then follows it to the end.
     * Idempotent: the container name is derived from the run id, so a retry after a worker crash
     * finds the container it started instead of starting a second GPU job.
     */
    async runContainer(input: { runId: string; host: string }): Promise<ContainerResult> {
      const { run, plan } = await loadJob(deps, input.runId);
      const host = requireHost(deps, input.host);
      const name = containerNameFor(run.modelType, run.id);
      const layout = describeJobLayout(host.config.remote_dir, run.id);
      const localLog = `${localRunDir(deps, run.id)}/run.log`;
      heartbeat({ containerName: name, phase: 'attaching', attempt: activityInfo().attempt });

      const { attached } = await startOrAttach(deps, host, {
        name, runId: run.id, runIds: [run.id], modelType: run.modelType, logPath: layout.rel.logPath,
        modelArgs: plan.modelArgs(layout, plan.gpus(host.config.gpus_per_job)),
      }, plan.gpus(host.config.gpus_per_job));

      const tracker = createLogProgressTracker(plan.chunks);
      let seq = 0;
      // Each milestone is keyed by its position in the log, so replaying writes only what an earlier attempt missed.
      const record = async (text: string) => {
        const milestones = tracker.feed(text);
        for (const milestone of milestones) await addRunEvent(deps.db, { runId: run.id, ...milestone, logSeq: seq++ });
        return milestones.length;
      };
      await addRunEvent(deps.db, { runId: run.id, stage: 'starting', progress: 0.05, message: `container ${name} started` });
      await record(await readFile(localLog, 'utf8').catch(() => ''));
      await markRunRunning(deps.db, run.id, { containerName: name, stage: tracker.current().stage });

      const report = createProgressReporter(deps);
      const state = await followContainer(deps, host, {
        name, remoteLog: layout.abs.logPath, localLog,
        async onLog(text) {
          const found = await record(text);
          const current = tracker.current();
          if (found > 0) {
            await updateRunProgress(deps.db, run.id, current.stage, current.progress);
            await report(run.id, current.stage, current.progress);
          }
          return { phase: current.stage, progress: current.progress };
        },
      });
      if (state.exitCode !== 0) {
        const failure = classifyContainerFailure(state.exitCode, await readFile(localLog, 'utf8').catch(() => ''), state.oomKilled);
        throw ApplicationFailure.nonRetryable(failure.message, failure.kind);
      }
      return { containerName: name, exitCode: 0, attached };
    },

    /** Stops a container if it still runs (the user-cancel path of a workflow). */
    async stopRunContainer(input: { runId: string; host: string; modelType: string; containerName?: string }): Promise<void> {
      const { config, transport } = requireHost(deps, input.host);
      await stopContainer(transport, config.docker, input.containerName ?? containerNameFor(input.modelType, input.runId));
    },
  };
}
