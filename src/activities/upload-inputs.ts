import { cancellationSignal, heartbeat } from '@temporalio/activity';
import { mkdir, writeFile } from 'node:fs/promises';
import { InputError } from '../core/input-error.js';
import { addRunEvent, updateRunProgress } from '../db/queries/runs.js';
import { ensureCached, InputChangedError } from '../gpu/content-cache.js';
import { cacheLinkTarget, describeJobLayout } from '../gpu/job-layout.js';
import { localRunDir, requireHost, type ActivityDeps } from './deps.js';
import { loadJob } from './job-context.js';
import type { UploadStats } from './run-records.js';

export function createUploadActivities(deps: ActivityDeps) {
  return {
    /** Content-addressed upload of the run's inputs plus its spec; re-running a prompt sends no video bytes. */
    async uploadRunInputs(input: { runId: string; host: string }): Promise<UploadStats> {
      const { run, plan } = await loadJob(deps, input.runId);
      const { config, transport } = requireHost(deps, input.host);
      const layout = describeJobLayout(config.remote_dir, run.id);
      const total = plan.inputs.reduce((sum, { file }) => sum + file.bytes, 0);
      const stats: UploadStats = { bytesSent: 0, filesSent: 0, filesReused: 0 };
      let doneBytes = 0;
      let lastReport = 0;

      heartbeat({ phase: 'uploading' });
      await transport.mkdirp(layout.abs.inputsDir);
      await transport.mkdirp(layout.abs.outputsDir);
      for (const { linkName, file } of plan.inputs) {
        const result = await ensureCached(transport, config.remote_dir, file, {
          signal: cancellationSignal(),
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
        await transport.exec(['ln', '-sfn', '--', cacheLinkTarget(file.sha256), `${layout.abs.inputsDir}/${linkName}`]);
      }

      const runDir = localRunDir(deps, run.id);
      await mkdir(runDir, { recursive: true });
      for (const [name, content] of Object.entries(plan.texts)) {
        // Prompt text travels only inside these files, never on a command line.
        await transport.writeFile(`${layout.abs.inputsDir}/${name}`, content);
        await writeFile(`${runDir}/${name}`, content);
      }

      await updateRunProgress(deps.db, run.id, 'uploading', 0.05);
      await addRunEvent(deps.db, { runId: run.id, stage: 'uploading', progress: 0.05, message: 'inputs staged on the GPU host' });
      return stats;
    },
  };
}
