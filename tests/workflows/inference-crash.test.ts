import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startInference, waitForRun } from '../../src/client/runs.js';
import { createPrompt } from '../../src/core/create-prompt.js';
import { hashFile } from '../../src/core/file-hash.js';
import { findRun, listRunEvents } from '../../src/db/queries/runs.js';
import { readStartRecord } from '../../simulator/install.js';
import { createPipelineHarness, demoInputs, type HarnessOptions, type PipelineHarness } from '../helpers/pipeline-harness.js';
import { killHard, waitUntil } from '../helpers/worker-process.js';

/** SIGKILL the worker process at a chosen moment, start a fresh one, and check nothing was lost or doubled. */
describe('a worker killed mid-run', () => {
  let h: PipelineHarness | undefined;
  afterEach(() => h?.close());

  async function crashAndRecover(options: HarnessOptions, text: string, isCrashPoint: (runId: string) => Promise<boolean>) {
    h = await createPipelineHarness(options);
    const harness = h;
    const first = harness.spawnWorker();
    const prompt = (await createPrompt(harness.db, { text, videoDir: demoInputs }, { negativePrompt: 'n' })).prompt;
    const { run } = await startInference({ db: harness.db, temporal: harness.temporal, config: harness.config }, { promptId: prompt.id });

    await waitUntil(() => isCrashPoint(run.id), `the crash point of ${text}`);
    const stageAtKill = (await findRun(harness.db, run.id))!.stage;
    await killHard(first);
    harness.spawnWorker();
    const done = await waitForRun({ db: harness.db, temporal: harness.temporal, config: harness.config }, run.id);

    expect(done.status).toBe('completed');
    const starts = (await readStartRecord(harness.simHome)).filter((r) => r.name.includes(run.id));
    expect(starts).toHaveLength(1);
    const names = done.outputs!.files.map((f) => f.name);
    expect(new Set(names).size).toBe(names.length);
    for (const file of done.outputs!.files) expect(await hashFile(file.path)).toEqual({ sha256: file.sha256, bytes: file.bytes });
    const events = await listRunEvents(harness.db, run.id);
    const keys = events.map((e) => `${e.stage}/${e.message}`);
    expect(new Set(keys).size).toBe(keys.length);
    const log = await import('node:fs/promises').then((fs) => fs.readFile(done.outputs!.logPath!, 'utf8'));
    expect(log.match(/\[COSMOS_COMPLETE\]/g)).toHaveLength(1);
    expect(log.match(/Starting diffusion sampling/g)).toHaveLength(1);
    return { stageAtKill };
  }

  it('during upload: the upload resumes and the run completes with one container', async () => {
    const { stageAtKill } = await crashAndRecover(
      { transport: 'ssh', host: { transfer_rate_limit: 40_000 } }, 'crash during upload',
      async () => partialFiles(join(h!.remoteDir, 'cosmos-cache', 'sha256')).length > 0,
    );
    expect(stageAtKill).toBe('uploading');
  });

  it('during generation: the new worker re-attaches to the running container instead of starting another', async () => {
    const { stageAtKill } = await crashAndRecover(
      { transport: 'ssh', sim: { timeScale: 0.02 } }, 'crash during generation',
      async (runId) => (await findRun(h!.db, runId))?.stage === 'generating',
    );
    expect(stageAtKill).toBe('generating');
  });

  it('during download: the download starts over and the outputs verify', async () => {
    const { stageAtKill } = await crashAndRecover(
      { transport: 'ssh', host: { transfer_rate_limit: 150_000 } }, 'crash during download',
      async (runId) => partialFiles(join(h!.config.dataDir, 'runs', runId)).length > 0,
    );
    expect(stageAtKill).toBe('downloading');
  });
});

function partialFiles(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String).filter((name) => name.includes('.partial')) : [];
}
