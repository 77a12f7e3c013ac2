import { heartbeat } from '@temporalio/activity';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createDerivedPrompt } from '../core/create-prompt.js';
import { makeOutputPosters } from '../core/make-poster.js';
import { findPrompt } from '../db/queries/prompts.js';
import { addRunEvent, completeRun, recordRunStage, updateRunProgress } from '../db/queries/runs.js';
import type { OutputFile, RunOutputs } from '../db/schema.js';
import { syncLogTail } from '../gpu/log-sync.js';
import type { ItemPlan } from '../models/index.js';
import { localRunDir, type ActivityDeps } from './deps.js';
import { fetchVerifiedFiles, writeManifest } from './fetch-files.js';
import { loadJob, type JobRef, type LoadedJob } from './job-context.js';
import { keepHeartbeating } from './keep-heartbeating.js';
import type { UploadStats } from './run-records.js';

export function createDownloadActivities(deps: ActivityDeps) {
  return {
    /**
     * For each finished run of the job: copies its output files into runs/<id>/, checks each against the host's
     * size and sha256, lets the model check them and read its result, writes manifest.json, and marks the run
     * completed. Re-running it overwrites, so a retry is safe.
     */
    downloadJobOutputs: (input: JobRef & { completed: string[]; upload?: UploadStats }): Promise<RunOutputs[]> => keepHeartbeating({ phase: 'downloading' }, async () => {
      const job = await loadJob(deps, input);
      await mkdir(dirname(job.localLog), { recursive: true });
      await syncLogTail(job.host.transport, job.layout.abs.logPath, job.localLog);
      const outputs: RunOutputs[] = [];
      for (const runId of input.completed) {
        const item = job.plan.items.find((i) => i.runId === runId);
        if (!item) throw new Error(`run ${runId} is not part of job ${input.jobKey}`);
        const fetched = await downloadItem(deps, job, item);
        // What the upload sent is the run's own when the job is that run alone.
        const runOutputs = input.upload && input.runIds.length === 1 ? { ...fetched, upload: input.upload } : fetched;
        // Recorded here, not in a step of its own: the run is complete the moment its outputs are verified.
        await completeRun(deps.db, runId, runOutputs);
        await addRunEvent(deps.db, { runId, stage: 'completed', progress: 1, message: 'completed' });
        outputs.push(runOutputs);
      }
      return outputs;
    }),
  };
}

/** The event that opens a run's download; runJobContainer writes it at the container's exit already. */
export const downloadingMessage = 'downloading outputs';

async function downloadItem(deps: ActivityDeps, job: LoadedJob, item: ItemPlan): Promise<RunOutputs> {
  const { runId } = item;
  const runDir = localRunDir(deps, runId);
  await recordRunStage(deps.db, { runId, stage: 'downloading', progress: 0.9, message: downloadingMessage });
  heartbeat({ phase: 'downloading', runId });
  const remoteDir = item.outputDir ? `${job.layout.abs.outputsDir}/${item.outputDir}` : job.layout.abs.outputsDir;
  const fetched = await fetchVerifiedFiles(job.host, remoteDir, runDir, {
    ...(item.filePrefix !== undefined ? { prefix: item.filePrefix } : {}), ...(item.localName ? { localName: item.localName } : {}),
  });
  const logPath = `${runDir}/run.log`;
  if (job.localLog !== logPath) await copyFile(job.localLog, logPath);
  // Posters are made while the model checks its outputs: ffmpeg runs in its own process.
  const posters = makeOutputPosters(runDir, fetched);
  const checked = (async () => {
    await updateRunProgress(deps.db, runId, 'verifying', 0.97);
    return job.model.readResult(fetched, { log: await readFile(logPath, 'utf8').catch(() => ''), runDir });
  })();
  const [read, posterNames] = await Promise.all([checked, posters]);
  let result = read.result;
  if (read.newPrompt && result?.kind === 'text') {
    const parent = await findPrompt(deps.db, job.items.find((i) => i.run.id === runId)!.prompt.id);
    if (parent) result = { ...result, promptId: (await createDerivedPrompt(deps.db, parent, read.newPrompt.text, read.newPrompt.nameSuffix)).id };
  }
  const roles: Record<string, string> = {
    ...read.roles, ...Object.fromEntries(Object.keys(item.localTexts).map((n) => [n, read.roles[n] ?? 'spec'])), 'run.log': 'log',
    ...Object.fromEntries(posterNames.map((n) => [n, 'poster'])),
  };
  const files = (await writeManifest(runId, runDir, fetched, [...Object.keys(item.localTexts), 'run.log', ...posterNames]))
    .map((file): OutputFile => ({ ...file, ...(roles[file.name] ? { role: roles[file.name] } : {}) }));
  await addRunEvent(deps.db, { runId, stage: 'verifying', progress: 0.99, message: 'outputs verified' });
  return { runDir, files, logPath, ...(result ? { result } : {}) };
}
