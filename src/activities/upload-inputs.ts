import { mkdir, writeFile } from 'node:fs/promises';
import { addRunEvent, updateRunProgress } from '../db/queries/runs.js';
import { describeJobLayout } from '../gpu/job-layout.js';
import { localRunDir, requireHost, type ActivityDeps } from './deps.js';
import { loadJob } from './job-context.js';
import { keepHeartbeating } from './keep-heartbeating.js';
import { stageInputs } from './stage-inputs.js';
import type { UploadStats } from './run-records.js';

export function createUploadActivities(deps: ActivityDeps) {
  return {
    /** Content-addressed upload of the run's inputs plus its spec; re-running a prompt sends no video bytes. */
    uploadRunInputs: (input: { runId: string; host: string }): Promise<UploadStats> => keepHeartbeating({ phase: 'uploading' }, async () => {
      const { run, plan } = await loadJob(deps, input.runId);
      const host = requireHost(deps, input.host);
      const layout = describeJobLayout(host.config.remote_dir, run.id);
      let lastReport = 0;
      const stats = await stageInputs(host, layout.abs.inputsDir, plan.inputs, (done, total) => {
        if (Date.now() - lastReport < 1000) return;
        lastReport = Date.now();
        void updateRunProgress(deps.db, run.id, 'uploading', (0.05 * done) / Math.max(total, 1)).catch(() => {});
      });
      await host.transport.mkdirp(layout.abs.outputsDir);

      const runDir = localRunDir(deps, run.id);
      await mkdir(runDir, { recursive: true });
      for (const [name, content] of Object.entries(plan.texts)) {
        // Prompt text travels only inside these files, never on a command line.
        await host.transport.writeFile(`${layout.abs.inputsDir}/${name}`, content);
        await writeFile(`${runDir}/${name}`, content);
      }

      await updateRunProgress(deps.db, run.id, 'uploading', 0.05);
      await addRunEvent(deps.db, { runId: run.id, stage: 'uploading', progress: 0.05, message: 'inputs staged on the GPU host' });
      return stats;
    }),
  };
}
