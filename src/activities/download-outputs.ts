import { ApplicationFailure, cancellationSignal, heartbeat } from '@temporalio/activity';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { addRunEvent, updateRunProgress } from '../db/queries/runs.js';
import type { OutputFile, RunOutputs } from '../db/schema.js';
import { sha256OnHost } from '../gpu/content-cache.js';
import { describeJobLayout } from '../gpu/job-layout.js';
import { syncLogTail } from '../gpu/log-sync.js';
import { probeMp4File } from '../gpu/mp4.js';
import { hashFile } from '../core/file-hash.js';
import { readUpsampledPrompt } from '../models/enhance.js';
import { localRunDir, requireHost, type ActivityDeps } from './deps.js';
import { loadJob } from './job-context.js';

export function createDownloadActivities(deps: ActivityDeps) {
  return {
    /**
     * Copies every output file into runs/<id>/, checks each against the host's size and sha256, proves the
     * video parses with frames, and writes manifest.json. Re-running it overwrites, so a retry is safe.
     */
    async downloadRunOutputs(input: { runId: string; host: string }): Promise<RunOutputs> {
      const { config, transport } = requireHost(deps, input.host);
      const { plan } = await loadJob(deps, input.runId);
      const primaryOutput = plan.primaryOutput;
      const layout = describeJobLayout(config.remote_dir, input.runId);
      const runDir = localRunDir(deps, input.runId);
      await mkdir(runDir, { recursive: true });
      await updateRunProgress(deps.db, input.runId, 'downloading', 0.9);
      await addRunEvent(deps.db, { runId: input.runId, stage: 'downloading', progress: 0.9, message: 'downloading outputs' });
      heartbeat({ phase: 'downloading' });
      await syncLogTail(transport, layout.abs.logPath, `${runDir}/run.log`);

      const remoteFiles = (await transport.listDir(layout.abs.outputsDir).catch(() => []))
        .filter((entry) => !entry.isDirectory && !entry.name.startsWith('.'));
      if (primaryOutput && !remoteFiles.some((entry) => entry.name === primaryOutput)) {
        throw ApplicationFailure.nonRetryable(`the container exited 0 but wrote no ${primaryOutput} on ${config.name}`, 'output_invalid');
      }

      const files: OutputFile[] = [];
      for (const entry of remoteFiles) {
        const remotePath = `${layout.abs.outputsDir}/${entry.name}`;
        const localPath = `${runDir}/${entry.name}`;
        const partial = `${localPath}.partial`;
        const got = await transport.download(remotePath, partial, {
          signal: cancellationSignal(),
          ...(config.transfer_rate_limit ? { rateLimit: config.transfer_rate_limit } : {}),
          onProgress: (bytes) => heartbeat({ phase: 'downloading', file: entry.name, bytes }),
        });
        const remoteHash = await sha256OnHost(transport, remotePath);
        if (got.bytes !== entry.size || got.sha256 !== remoteHash) {
          await rm(partial, { force: true });
          throw new Error(`${entry.name} arrived damaged (${got.bytes}/${entry.size} bytes, sha256 ${got.sha256} vs ${remoteHash}); retrying`);
        }
        await rename(partial, localPath);
        files.push({ name: entry.name, path: localPath, bytes: got.bytes, sha256: got.sha256 });
      }

      await updateRunProgress(deps.db, input.runId, 'verifying', 0.97);
      const video = primaryOutput ? await verifyVideo(`${runDir}/${primaryOutput}`) : undefined;
      const enhancedText = primaryOutput ? undefined : await readEnhancedText(`${runDir}/run.log`);

      for (const name of [...Object.keys(plan.texts), 'run.log']) {
        const path = `${runDir}/${name}`;
        const { sha256, bytes } = await hashFile(path);
        files.push({ name, path, bytes, sha256 });
      }
      const manifest = files.map(({ name, bytes, sha256 }) => ({ name, bytes, sha256 }));
      await writeFile(`${runDir}/manifest.json`, `${JSON.stringify({ runId: input.runId, files: manifest }, null, 2)}\n`);
      await addRunEvent(deps.db, { runId: input.runId, stage: 'verifying', progress: 0.99, message: 'outputs verified' });
      return {
        runDir, files, logPath: `${runDir}/run.log`,
        ...(video ? { video: { width: video.width, height: video.height, frames: video.frames, fps: video.fps } } : {}),
        ...(enhancedText ? { enhancedText } : {}),
      };
    },
  };
}

async function verifyVideo(path: string) {
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
