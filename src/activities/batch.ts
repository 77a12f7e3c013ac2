import { activityInfo, heartbeat } from '@temporalio/activity';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { InputError } from '../core/input-error.js';
import { listBatchRuns, setBatchStatus, settleBatchStatus } from '../db/queries/batches.js';
import { findPrompt } from '../db/queries/prompts.js';
import { addRunEvent, markRunRunning, updateRunProgress } from '../db/queries/runs.js';
import type { RunOutputs, RunStatus } from '../db/schema.js';
import { createBatchProgressTracker } from '../gpu/batch-progress.js';
import { classifyContainerFailure, type ClassifiedFailure } from '../gpu/classify-failure.js';
import { describeJobLayout } from '../gpu/job-layout.js';
import { syncLogTail } from '../gpu/log-sync.js';
import { planBatch, type BatchMember } from '../models/batch.js';
import { followContainer, startOrAttach } from './container-session.js';
import { localRunDir, requireHost, type ActivityDeps } from './deps.js';
import { createProgressReporter } from './progress-reporter.js';
import { makeOutputPosters } from '../core/make-poster.js';
import { fetchVerifiedFiles, writeManifest } from './fetch-files.js';
import { stageInputs } from './stage-inputs.js';
import { keepHeartbeating } from './keep-heartbeating.js';
import { verifyVideo } from './download-outputs.js';
import type { UploadStats } from './run-records.js';

/** One container run of a batch: `jobKey` = `<batch_id>-<segment>`; a guardrail block starts the next segment. */
export interface BatchSegment { batchId: string; jobKey: string; runIds: string[]; host: string }

export interface SegmentResult { containerName: string; completed: number; failure: ClassifiedFailure | null }

export function createBatchActivities(deps: ActivityDeps) {
  async function loadMembers(runIds: string[], batchId: string): Promise<BatchMember[]> {
    const runs = await listBatchRuns(deps.db, batchId);
    return Promise.all(runIds.map(async (id) => {
      const run = runs.find((r) => r.id === id);
      const prompt = run ? await findPrompt(deps.db, run.promptId) : undefined;
      if (!run || !prompt) throw new InputError(`batch ${batchId} has no run ${id} (or its prompt is gone)`);
      return { run, prompt };
    }));
  }
  const batchLog = (jobKey: string) => `${deps.dataDir}/batches/${jobKey}/run.log`;

  return {
    async markBatchStarted(input: { batchId: string; runIds: string[]; host: string; workflowId: string }): Promise<void> {
      await setBatchStatus(deps.db, input.batchId, 'running');
      for (const runId of input.runIds) {
        await markRunRunning(deps.db, runId, { workflowId: input.workflowId, gpuHost: input.host, stage: 'uploading' });
        await addRunEvent(deps.db, { runId, stage: 'uploading', progress: 0, message: `started on ${input.host} in batch ${input.batchId}` });
      }
    },

    uploadBatchInputs: (segment: BatchSegment): Promise<UploadStats> => keepHeartbeating({ phase: 'uploading' }, async () => {
      const host = requireHost(deps, segment.host);
      const members = await loadMembers(segment.runIds, segment.batchId);
      const layout = describeJobLayout(host.config.remote_dir, segment.jobKey);
      const plan = planBatch(layout.rel.jobDir, members);
      const stats = await stageInputs(host, layout.abs.inputsDir, plan.inputs);
      for (const [name, content] of Object.entries(plan.texts)) await host.transport.writeFile(`${layout.abs.inputsDir}/${name}`, content);
      for (const [i, { run }] of members.entries()) {
        const runDir = localRunDir(deps, run.id);
        await mkdir(runDir, { recursive: true });
        await writeFile(`${runDir}/spec.json`, plan.memberSpecs[i]!);
        await updateRunProgress(deps.db, run.id, 'queued', 0.05);
      }
      return stats;
    }),

    /** Starts or re-attaches to the segment's container and follows it; reports how many items finished. */
    async runBatchContainer(segment: BatchSegment): Promise<SegmentResult> {
      const host = requireHost(deps, segment.host);
      const members = await loadMembers(segment.runIds, segment.batchId);
      const layout = describeJobLayout(host.config.remote_dir, segment.jobKey);
      const plan = planBatch(layout.rel.jobDir, members);
      const name = `cosmos-transfer-${segment.jobKey}`;
      const localLog = batchLog(segment.jobKey);
      await mkdir(`${deps.dataDir}/batches/${segment.jobKey}`, { recursive: true });
      heartbeat({ containerName: name, phase: 'attaching', attempt: activityInfo().attempt });
      await startOrAttach(deps, host, {
        name, runId: segment.jobKey, runIds: segment.runIds, modelType: 'transfer', logPath: layout.rel.logPath, modelArgs: plan.modelArgs(layout, host.config.gpus_per_job),
      }, host.config.gpus_per_job);
      for (const { run } of members) await markRunRunning(deps.db, run.id, { containerName: name, stage: 'starting' });

      const tracker = createBatchProgressTracker(plan.chunksPerItem);
      const report = createProgressReporter(deps);
      // Milestones are keyed by position in this segment's log; segments number theirs apart.
      let seq = segmentNumber(segment.jobKey) * 1_000_000;
      const record = async (text: string) => {
        for (const milestone of tracker.feed(text)) {
          const runId = segment.runIds[milestone.item];
          const logSeq = seq++;
          if (!runId) continue;
          await addRunEvent(deps.db, { runId, stage: milestone.stage, progress: milestone.progress, message: milestone.message, logSeq });
          await updateRunProgress(deps.db, runId, milestone.stage, milestone.progress);
          await report(runId, milestone.stage, milestone.progress);
        }
      };
      await record(await readFile(localLog, 'utf8').catch(() => ''));
      const state = await followContainer(deps, host, {
        name, remoteLog: layout.abs.logPath, localLog,
        async onLog(text) {
          await record(text);
          return { phase: `item ${tracker.currentItem() + 1}/${members.length}`, progress: tracker.current().progress };
        },
      });
      const completed = await countFinishedItems(host, layout.abs.outputsDir, members.length);
      const failure = state.exitCode === 0 ? null : classifyContainerFailure(state.exitCode, await readFile(localLog, 'utf8').catch(() => ''), state.oomKilled);
      return { containerName: name, completed, failure };
    },

    /** Downloads and verifies `video_<i>/` of the first `count` items into each member run's own folder. */
    downloadBatchOutputs: (segment: BatchSegment & { count: number }): Promise<RunOutputs[]> => keepHeartbeating({ phase: 'downloading' }, async () => {
      const host = requireHost(deps, segment.host);
      const layout = describeJobLayout(host.config.remote_dir, segment.jobKey);
      await syncLogTail(host.transport, layout.abs.logPath, batchLog(segment.jobKey));
      const outputs: RunOutputs[] = [];
      for (const [i, runId] of segment.runIds.slice(0, segment.count).entries()) {
        const runDir = localRunDir(deps, runId);
        await updateRunProgress(deps.db, runId, 'downloading', 0.9);
        const fetched = await fetchVerifiedFiles(host, `${layout.abs.outputsDir}/video_${i}`, runDir, { 'prompt.txt': 'output.txt' });
        const video = await verifyVideo(`${runDir}/output.mp4`);
        await copyFile(batchLog(segment.jobKey), `${runDir}/run.log`);
        const files = await writeManifest(runId, runDir, fetched, ['spec.json', 'run.log', ...(await makeOutputPosters(runDir, fetched))]);
        outputs.push({ runDir, files, logPath: `${runDir}/run.log`, video: { width: video.width, height: video.height, frames: video.frames, fps: video.fps } });
      }
      return outputs;
    }),

    async settleBatch(input: { batchId: string }): Promise<RunStatus> {
      return settleBatchStatus(deps.db, input.batchId);
    },
  };
}

/** Items finish in order, so the finished ones are video_0 … video_<k-1> with an output.mp4. */
async function countFinishedItems({ transport }: ReturnType<typeof requireHost>, outputsDir: string, total: number): Promise<number> {
  let finished = 0;
  while (finished < total && (await transport.stat(`${outputsDir}/video_${finished}/output.mp4`))) finished += 1;
  return finished;
}

const segmentNumber = (jobKey: string) => Number(/-(\d+)$/.exec(jobKey)?.[1] ?? 0);
