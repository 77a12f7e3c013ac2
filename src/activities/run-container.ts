import { activityInfo, ApplicationFailure, heartbeat } from '@temporalio/activity';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { releaseGpuJob } from '../db/queries/gpu-queue.js';
import { addRunEvent, markRunRunning, recordRunStage, updateRunProgress } from '../db/queries/runs.js';
import { classifyContainerFailure } from '../gpu/classify-failure.js';
import { stopContainer } from '../gpu/docker.js';
import { readDurationMs } from '../config-values.js';
import { hostSettingsFor, type ItemOutcome } from '../models/index.js';
import { localRunDir, requireHost, type ActivityDeps } from './deps.js';
import { followContainer, startOrAttach } from './container-session.js';
import { downloadingMessage } from './download-outputs.js';
import { listOutputNames } from './fetch-files.js';
import { loadJob, logSeqBase, type JobRef, type LoadedJob } from './job-context.js';
import { createProgressReporter } from './progress-reporter.js';
import { launchWithHfCache } from './hf-cache.js';

export interface ContainerResult { containerName: string; exitCode: number; attached: boolean; outcomes: ItemOutcome[] }

export function createContainerActivities(deps: ActivityDeps, onRelease: () => void = () => {}) {
  return {
    /**
     * Starts the job's container or re-attaches to it, follows it to the end, and says how each of its runs ended.
     * Idempotent: the container name is derived from the job key, so a retry after a worker crash finds the
     * container it started instead of starting a second GPU job.
     */
    async runJobContainer(ref: JobRef): Promise<ContainerResult> {
      const job = await loadJob(deps, ref);
      const { host, layout, plan, model, containerName: name, localLog } = job;
      await mkdir(dirname(localLog), { recursive: true });
      heartbeat({ containerName: name, phase: 'attaching', attempt: activityInfo().attempt });
      const { launch, missing } = await launchWithHfCache(host, plan);
      const { attached, started } = await startOrAttach(deps, host, {
        name, runId: ref.jobKey, runIds: ref.runIds, modelType: ref.modelType, logPath: plan.logPath, launch, env: job.env,
      }, leasedDevices(ref, plan.gpus));
      if (!attached && missing.length > 0) {
        for (const runId of ref.runIds) {
          await addRunEvent(deps.db, { runId, stage: 'starting', progress: 0.05, message: `fetching ${missing.join(', ')} into ${host.config.name}'s Hugging Face cache (once; later jobs run offline)` });
        }
      }

      const tracker = model.trackProgress(plan);
      const report = createProgressReporter(deps);
      let seq = logSeqBase(ref.jobKey, ref.runIds);
      const written = new Map<string, number>();
      // Each milestone is keyed by its position in the log, so replaying writes only what an earlier attempt missed.
      const record = async (text: string) => {
        for (const milestone of tracker.feed(text)) {
          const runId = ref.runIds[milestone.item];
          const logSeq = seq++;
          if (!runId) continue;
          await recordRunStage(deps.db, { runId, stage: milestone.stage, progress: milestone.progress, message: milestone.message, logSeq });
          written.set(runId, milestone.progress);
          await report(runId, milestone.stage, milestone.progress);
        }
        // Step-level progress between milestones, for models that print it.
        const current = tracker.current();
        const runId = ref.runIds[tracker.currentItem()];
        if (runId && current.progress - (written.get(runId) ?? 0) >= 0.02) {
          written.set(runId, current.progress);
          await updateRunProgress(deps.db, runId, current.stage, current.progress);
          await report(runId, current.stage, current.progress);
        }
      };
      for (const runId of ref.runIds) {
        await addRunEvent(deps.db, { runId, stage: 'starting', progress: 0.05, message: `container ${name} started` });
      }
      await record(await readFile(localLog, 'utf8').catch(() => ''));
      for (const runId of ref.runIds) await markRunRunning(deps.db, runId, { containerName: name, stage: tracker.current().stage });

      const state = await followContainer(deps, host, {
        name, remoteLog: layout.abs.logPath, localLog, hangTimeoutMs: hangTimeoutOf(deps, job), stuck: () => tracker.stuck?.() ?? null, justStarted: started,
        async onLog(text) {
          await record(text);
          const current = tracker.current();
          const phase = ref.runIds.length > 1 ? `item ${tracker.currentItem() + 1}/${ref.runIds.length}` : current.stage;
          // The models' readings put an item at 0.9 once its output is saved; one that never says so keeps the usual pace.
          const ending = tracker.currentItem() === ref.runIds.length - 1 && current.progress >= 0.9;
          return { phase, progress: current.progress, ending };
        },
      });
      // The container has exited: its GPUs go to the next job in the queue now, not after the download.
      if (await releaseGpuJob(deps.db, ref.jobKey)) onRelease();
      const log = await readFile(localLog, 'utf8').catch(() => '');
      const outcomes = model.assessJob(
        { plan, exitCode: state.exitCode, oomKilled: state.oomKilled, log, outputNames: await listOutputNames(host, layout.abs.outputsDir) },
        (exitCode, text) => classifyContainerFailure(exitCode, text, state.oomKilled, model.failures),
      );
      // Written at the exit, not when the download activity starts a workflow task later: `cosmos queue` learns a
      // container's time from container_started_at to this event (the download writes the same event, a no-op then).
      for (const outcome of outcomes.filter((o) => o.status === 'completed')) {
        await addRunEvent(deps.db, { runId: outcome.runId, stage: 'downloading', progress: 0.9, message: downloadingMessage });
      }
      if (ref.runIds.length > 1) {
        // The job's log is each run's log: the one a user opens first when a run failed.
        for (const outcome of outcomes.filter((o) => o.status === 'failed')) {
          await mkdir(localRunDir(deps, outcome.runId), { recursive: true });
          await copyFile(localLog, `${localRunDir(deps, outcome.runId)}/run.log`);
        }
      }
      return { containerName: name, exitCode: state.exitCode, attached, outcomes };
    },

    /** Stops a job's container if it still runs (the user-cancel path of a workflow). */
    async stopJobContainer(input: { host: string; containerName: string }): Promise<void> {
      const { config, transport } = requireHost(deps, input.host);
      await stopContainer(transport, config.docker, input.containerName);
    },
  };
}

function leasedDevices(ref: JobRef, count: number): number[] {
  if (!ref.devices || ref.devices.length !== count) {
    throw ApplicationFailure.nonRetryable(`job ${ref.jobKey} needs a lease of ${count} GPU(s) before its container starts (got ${ref.devices?.length ?? 0})`, 'internal');
  }
  return ref.devices;
}

/** The host's setting for the model type, else what the model says its plan needs, else the configured one. */
function hangTimeoutOf(deps: ActivityDeps, job: LoadedJob): number {
  const own = hostSettingsFor(job.host.config, job.ref.modelType).hangTimeout;
  const configured = own ? readDurationMs(own) : null;
  return configured ?? job.model.hangTimeoutMs?.(job, deps.hangTimeoutMs) ?? deps.hangTimeoutMs;
}
