import { ApplicationFailure, heartbeat } from '@temporalio/activity';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { addRunEvent, updateRunProgress } from '../db/queries/runs.js';
import type { RunOutputs } from '../db/schema.js';
import { describeJobLayout } from '../gpu/job-layout.js';
import { syncLogTail } from '../gpu/log-sync.js';
import { probeMp4File } from '../gpu/mp4.js';
import { readUpsampledPrompt } from '../models/enhance.js';
import { localRunDir, requireHost, type ActivityDeps } from './deps.js';
import { makeOutputPosters } from '../core/make-poster.js';
import { fetchVerifiedFiles, writeManifest } from './fetch-files.js';
import { loadJob } from './job-context.js';
import { keepHeartbeating } from './keep-heartbeating.js';

export function createDownloadActivities(deps: ActivityDeps) {
  return {
    /**
     * Copies every output file into runs/<id>/, checks each against the host's size and sha256, proves the
     * video parses with frames, and writes manifest.json. Re-running it overwrites, so a retry is safe.
     */
    downloadRunOutputs: (input: { runId: string; host: string }): Promise<RunOutputs> => keepHeartbeating({ phase: 'downloading' }, async () => {
      const host = requireHost(deps, input.host);
      const { plan } = await loadJob(deps, input.runId);
      const layout = describeJobLayout(host.config.remote_dir, input.runId);
      const runDir = localRunDir(deps, input.runId);
      await updateRunProgress(deps.db, input.runId, 'downloading', 0.9);
      await addRunEvent(deps.db, { runId: input.runId, stage: 'downloading', progress: 0.9, message: 'downloading outputs' });
      heartbeat({ phase: 'downloading' });
      await syncLogTail(host.transport, layout.abs.logPath, `${runDir}/run.log`);

      const fetched = await fetchVerifiedFiles(host, layout.abs.outputsDir, runDir);
      const primary = plan.primaryOutput;
      if (primary && !fetched.some((f) => f.name === primary)) {
        throw ApplicationFailure.nonRetryable(`the container exited 0 but wrote no ${primary} on ${host.config.name}`, 'output_invalid');
      }
      // Posters are made while the outputs are checked: ffmpeg runs in its own process.
      const posters = makeOutputPosters(runDir, fetched);
      const checked = (async () => {
        await updateRunProgress(deps.db, input.runId, 'verifying', 0.97);
        const video = primary ? await verifyVideo(`${runDir}/${primary}`) : undefined;
        const enhancedText = primary ? undefined : await readEnhancedText(`${runDir}/run.log`);
        return { video, enhancedText };
      })();
      const [{ video, enhancedText }, posterNames] = await Promise.all([checked, posters]);
      const files = await writeManifest(input.runId, runDir, fetched, [...Object.keys(plan.texts), 'run.log', ...posterNames]);
      await addRunEvent(deps.db, { runId: input.runId, stage: 'verifying', progress: 0.99, message: 'outputs verified' });
      return {
        runDir, files, logPath: `${runDir}/run.log`,
        ...(video ? { video: { width: video.width, height: video.height, frames: video.frames, fps: video.fps } } : {}),
        ...(enhancedText ? { enhancedText } : {}),
      };
    }),
  };
}

export async function verifyVideo(path: string) {
  const name = basename(path);
  const video = await probeMp4File(path).catch((error: unknown) => {
    throw ApplicationFailure.nonRetryable(`${name} is not a playable MP4: ${(error as Error).message}`, 'output_invalid');
  });
  if (video.frames < 1) throw ApplicationFailure.nonRetryable(`${name} has no frames`, 'output_invalid');
  return video;
}

async function readEnhancedText(logPath: string): Promise<string> {
  const text = readUpsampledPrompt(await readFile(logPath, 'utf8').catch(() => ''));
  if (!text) throw ApplicationFailure.nonRetryable('the prompt upsampler finished without an "Upsampled prompt:" line (or with an empty one)', 'output_invalid');
  return text;
}
