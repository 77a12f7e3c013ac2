import { heartbeat } from '@temporalio/activity';
import { mkdir, writeFile } from 'node:fs/promises';
import { InputError } from '../core/input-error.js';
import { findPrompt } from '../db/queries/prompts.js';
import { addRunEvent, findRun, updateRunProgress } from '../db/queries/runs.js';
import type { Prompt, Run } from '../db/schema.js';
import { ensureCached, InputChangedError } from '../gpu/content-cache.js';
import { cacheLinkTarget, describeJobLayout } from '../gpu/job-layout.js';
import { assertKnownSpecKeys, buildTransferSpec, resolveTransferParams, selectJobInputs } from '../models/transfer.js';
import { localRunDir, requireHost, type ActivityDeps } from './deps.js';
import type { UploadStats } from './run-records.js';

const inputFileNames = { video: 'color.mp4', depth: 'depth.mp4', seg: 'segmentation.mp4' } as const;

export async function loadRunWithPrompt(deps: ActivityDeps, runId: string): Promise<{ run: Run; prompt: Prompt }> {
  const run = await findRun(deps.db, runId);
  if (!run) throw new InputError(`run ${runId} does not exist`);
  const prompt = await findPrompt(deps.db, run.promptId);
  if (!prompt) throw new InputError(`prompt ${run.promptId} of run ${runId} does not exist`);
  return { run, prompt };
}

export function createUploadActivities(deps: ActivityDeps) {
  return {
    /** Content-addressed upload of the run's inputs plus its spec.json; re-running a prompt sends no video bytes. */
    async uploadRunInputs(input: { runId: string; host: string }): Promise<UploadStats> {
      const { run, prompt } = await loadRunWithPrompt(deps, input.runId);
      const { config, transport } = requireHost(deps, input.host);
      const layout = describeJobLayout(config.remote_dir, run.id);
      const params = resolveTransferParams(run.executionConfig);
      const files = Object.entries(selectJobInputs(prompt.inputs, params));
      const total = files.reduce((sum, [, file]) => sum + (file?.bytes ?? 0), 0);
      const stats: UploadStats = { bytesSent: 0, filesSent: 0, filesReused: 0 };
      let doneBytes = 0;
      let lastReport = 0;

      heartbeat({ phase: 'uploading' });
      await transport.mkdirp(layout.abs.inputsDir);
      for (const [role, file] of files) {
        if (!file) continue;
        const result = await ensureCached(transport, config.remote_dir, file, {
          ...(config.transfer_rate_limit ? { rateLimit: config.transfer_rate_limit } : {}),
          onProgress: (sent) => {
            heartbeat({ phase: 'uploading', bytes: doneBytes + sent });
            if (Date.now() - lastReport > 1000) {
              lastReport = Date.now();
              void updateRunProgress(deps.db, run.id, 'uploading', (0.05 * (doneBytes + sent)) / Math.max(total, 1)).catch(() => {});
            }
          },
        }).catch((error: unknown) => {
          throw error instanceof InputChangedError ? new InputError(error.message) : error;
        });
        doneBytes += file.bytes;
        if (result.bytesSent > 0) {
          stats.bytesSent += result.bytesSent;
          stats.filesSent += 1;
        } else {
          stats.filesReused += 1;
        }
        const linkName = inputFileNames[role as keyof typeof inputFileNames];
        await transport.exec(['ln', '-sfn', '--', cacheLinkTarget(file.sha256), `${layout.abs.inputsDir}/${linkName}`]);
      }

      const inputPath = (role: keyof typeof inputFileNames) => `${layout.rel.inputsDir}/${inputFileNames[role]}`;
      const selected = Object.fromEntries(files);
      const spec = buildTransferSpec({ text: prompt.promptText, negative: prompt.negativePrompt }, params, {
        video: inputPath('video'),
        ...(selected.depth ? { depth: inputPath('depth') } : {}),
        ...(selected.seg ? { seg: inputPath('seg') } : {}),
      });
      assertKnownSpecKeys(spec);
      const specJson = `${JSON.stringify(spec, null, 2)}\n`;
      // Prompt text travels only inside this file, never on a command line.
      await transport.writeFile(layout.abs.specPath, specJson);
      const runDir = localRunDir(deps, run.id);
      await mkdir(runDir, { recursive: true });
      await writeFile(`${runDir}/spec.json`, specJson);

      await updateRunProgress(deps.db, run.id, 'uploading', 0.05);
      await addRunEvent(deps.db, {
        runId: run.id, stage: 'uploading', progress: 0.05,
        message: 'inputs staged on the GPU host',
      });
      return stats;
    },
  };
}
