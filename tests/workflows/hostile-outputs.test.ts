import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startInference, waitForRun } from '../../src/client/runs.js';
import { createPrompt } from '../../src/core/create-prompt.js';
import { setFaults, type FaultMode } from '../../simulator/install.js';
import { createPipelineHarness, makeUniqueInputs, type HarnessOptions, type PipelineHarness } from '../helpers/pipeline-harness.js';
import { countStarts, expectIntactCompletedRun } from '../helpers/run-checks.js';
import { runCosmos } from '../helpers/run-cosmos.js';

/**
 * A container that leaves something other than its video in outputs/ (simulator test faults): a link to a host
 * file, a FIFO, a file over the cap. The run fails as output_invalid naming the entry, and nothing is downloaded.
 */
describe('a job whose outputs folder holds', () => {
  let h: PipelineHarness | undefined;
  afterEach(() => h?.close());

  async function runWith(options: HarnessOptions, fault: FaultMode | null) {
    h = await createPipelineHarness(options);
    if (fault) await setFaults(h.simHome, [{ mode: fault }]);
    await h.startWorker();
    const videoDir = await makeUniqueInputs(h.dir);
    const { prompt } = await createPrompt(h.db, { text: `hostile outputs ${fault ?? 'none'}`, videoDir }, { negativePrompt: 'n' });
    const deps = { db: h.db, temporal: h.temporal, config: h.config };
    const { run } = await startInference(deps, { promptId: prompt.id });
    return { harness: h, done: await waitForRun(deps, run.id) };
  }

  /** Only what the orchestrator wrote itself (spec.json at upload, run.log before the listing): no output, no manifest. */
  async function expectNothingDownloaded(harness: PipelineHarness, runId: string) {
    const runDir = join(harness.config.dataDir, 'runs', runId);
    const names = existsSync(runDir) ? await readdir(runDir) : [];
    expect(names.filter((name) => name !== 'run.log' && name !== 'spec.json')).toEqual([]);
  }

  it('a symbolic link to /etc/passwd fails as output_invalid over SSH and the host file is never fetched', async () => {
    const { harness, done } = await runWith({ transport: 'ssh' }, 'output_symlink');
    expect(done.status).toBe('failed');
    expect(done.failureKind).toBe('output_invalid');
    expect(done.errorMessage).toMatch(/output leaked\.txt on sim0-\w+ is a symbolic link; only regular files are downloaded/);
    expect(done.outputs?.files ?? []).toEqual([]);
    expect(await countStarts(harness.simHome, done.id)).toBe(1);
    await expectNothingDownloaded(harness, done.id);
    const shown = await runCosmos(harness.configPath, ['show', done.id]);
    expect(shown.stdout).toMatch(/output_invalid/);
    expect(shown.stdout).toMatch(/not a regular file \(a link, a FIFO, a device\)/);
  });

  it('a symbolic link is refused the same way by the local transport', async () => {
    const { harness, done } = await runWith({ transport: 'local' }, 'output_symlink');
    expect(done.failureKind).toBe('output_invalid');
    expect(done.errorMessage).toMatch(/output leaked\.txt .* is a symbolic link/);
    await expectNothingDownloaded(harness, done.id);
  });

  it('a FIFO fails as output_invalid at once instead of downloading for ever', async () => {
    const { harness, done } = await runWith({ transport: 'ssh' }, 'output_fifo');
    expect(done.failureKind).toBe('output_invalid');
    expect(done.errorMessage).toMatch(/output stream\.mp4 on \S+ is a FIFO/);
    await expectNothingDownloaded(harness, done.id);
  });

  it('a file over max_output_file_size fails as output_invalid naming the file and both sizes', async () => {
    const { harness, done } = await runWith({ transport: 'ssh', host: { max_output_file_size: '16MiB' } }, 'output_oversized');
    expect(done.failureKind).toBe('output_invalid');
    expect(done.errorMessage).toMatch(/output huge\.bin on \S+ is 67108864 bytes, over max_output_file_size \(16777216 bytes\)/);
    await expectNothingDownloaded(harness, done.id);
  });

  it('outputs that add up to more than max_run_output_size fail as output_invalid naming the file that crossed it', async () => {
    const { harness, done } = await runWith({ transport: 'ssh', host: { max_run_output_size: 1000 } }, null);
    expect(done.failureKind).toBe('output_invalid');
    expect(done.errorMessage).toMatch(/output \S+ on \S+ brings the run's outputs to \d+ bytes, over max_run_output_size \(1000 bytes\)/);
    await expectNothingDownloaded(harness, done.id);
  });

  it('only regular files within the caps completes intact, as before', async () => {
    const { harness, done } = await runWith({ transport: 'ssh', host: { max_output_file_size: '16MiB', max_run_output_size: '64MiB' } }, null);
    await expectIntactCompletedRun(harness.db, harness.simHome, done.id);
  });
});
