import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { startInference, waitForRun } from '../../src/client/runs.js';
import { diskFullAttempts } from '../../src/activities/map-errors.js';
import { createPrompt } from '../../src/core/create-prompt.js';
import { findRun } from '../../src/db/queries/runs.js';
import { describeJobLayout } from '../../src/gpu/job-layout.js';
import { createPipelineHarness, makeUniqueInputs, type PipelineHarness } from '../helpers/pipeline-harness.js';
import { expectIntactCompletedRun } from '../helpers/run-checks.js';
import { waitUntil } from '../helpers/worker-process.js';

const run = promisify(execFile);

/** The tmpfs the orchestrator's data_dir lives on: large enough for a whole run once the filler is gone. */
const tmpfsKb = 8 * 1024;
/** Room left beside the filler: enough for spec.json and run.log, far too little for the video (~1 MB). */
const leftBytes = 256 * 1024;

/**
 * The orchestrator's own disk (data_dir) fills up while a run downloads its outputs, on a real, small
 * filesystem: a tmpfs mounted as data_dir with a filler file that leaves too little room for the video.
 */
describe('a run whose local disk is full', () => {
  let h: PipelineHarness | undefined;
  let mountPoint: string | undefined;

  afterEach(async () => {
    try {
      await h?.close();
    } finally {
      h = undefined;
      if (mountPoint) {
        const dir = mountPoint;
        mountPoint = undefined;
        await run('umount', [dir]).catch(() => run('umount', ['-l', dir]));
        await rm(dir, { recursive: true, force: true });
      }
    }
  });

  async function start(text: string) {
    mountPoint = await mkdtemp(join(tmpdir(), 'cosmos-disk-'));
    await run('mount', ['-t', 'tmpfs', '-o', `size=${tmpfsKb}k`, 'tmpfs', mountPoint]);
    const dataDir = mountPoint;
    h = await createPipelineHarness({ transport: 'ssh', dataDir });
    await h.startWorker();
    // Inputs stay off the small disk: only what the orchestrator itself keeps goes there.
    const videoDir = await makeUniqueInputs(h.dir);
    const filler = join(dataDir, 'filler.bin');
    await writeFile(filler, Buffer.alloc(Math.max(0, (await freeBytes(dataDir)) - leftBytes)));
    expect(await freeBytes(dataDir)).toBeLessThanOrEqual(leftBytes + 64 * 1024);
    const { prompt } = await createPrompt(h.db, { text, videoDir }, { negativePrompt: 'n' });
    const { run: started } = await startInference({ db: h.db, temporal: h.temporal, config: h.config }, { promptId: prompt.id });
    return { harness: h, runId: started.id, dataDir, filler };
  }

  /** The download activity as Temporal sees it now: its attempt and the last failure's message, if any. */
  async function downloadActivity(harness: PipelineHarness, runId: string) {
    const handle = harness.temporal.workflow.getHandle((await findRun(harness.db, runId))!.workflowId!);
    const { raw } = await handle.describe();
    const activity = (raw.pendingActivities ?? []).find((a) => a.activityType?.name === 'downloadJobOutputs');
    return activity ? { attempt: activity.attempt ?? 1, lastFailure: activity.lastFailure?.message ?? '' } : undefined;
  }

  it('completes intact once the disk is freed after a download failed for lack of space, leaving no partial file', async () => {
    const { harness, runId, dataDir, filler } = await start('disk full, then freed');
    await waitUntil(async () => (await findRun(harness.db, runId))?.stage === 'downloading', 'the download stage', 90_000);
    let seen: { attempt: number; lastFailure: string } | undefined;
    await waitUntil(async () => {
      const activity = await downloadActivity(harness, runId);
      if (activity && /disk is full/.test(activity.lastFailure)) seen = activity;
      if (seen) return true;
      const current = (await findRun(harness.db, runId))!;
      if (current.status !== 'running') throw new Error(`run ${runId} ended ${current.status} (${current.failureKind}: ${current.errorMessage}) before its download failed`);
      return false;
    }, 'a download attempt that failed on the full disk', 30_000);
    await rm(filler);
    const outputsDir = describeJobLayout(harness.remoteDir, runId).abs.outputsDir;
    const videoBytes = statSync(join(outputsDir, 'output.mp4')).size;
    console.log(`[faults] disk full: download attempt ${seen!.attempt - 1} failed (${seen!.lastFailure}); output.mp4 is ${videoBytes} bytes, ${leftBytes} were free`);
    expect(videoBytes).toBeGreaterThan(leftBytes);

    await waitForRun({ db: harness.db, temporal: harness.temporal, config: harness.config }, runId);
    await expectIntactCompletedRun(harness.db, harness.simHome, runId);
    expect(partialFiles(dataDir)).toEqual([]);
    expect(existsSync(join(dataDir, 'runs', runId, 'manifest.json'))).toBe(true);
  });

  it('fails as disk_full after a few attempts when the disk stays full, recording no files and leaving no partial file', async () => {
    const { harness, runId, dataDir } = await start('disk that stays full');
    await waitUntil(async () => (await findRun(harness.db, runId))?.stage === 'downloading', 'the download stage', 90_000);
    const downloading = Date.now();
    await waitUntil(async () => (await findRun(harness.db, runId))?.status !== 'running', 'the run to end', 60_000);
    const seconds = (Date.now() - downloading) / 1000;
    const ended = await waitForRun({ db: harness.db, temporal: harness.temporal, config: harness.config }, runId);
    const runDir = join(dataDir, 'runs', runId);
    const kept = existsSync(runDir) ? readdirSync(runDir).map((name) => `${name} (${statSync(join(runDir, name)).size} B)`) : [];
    console.log(`[faults] disk stays full: run failed ${seconds.toFixed(1)} s after its download began: ${ended.failureKind}: ${ended.errorMessage}; run dir holds ${kept.join(', ')}`);

    expect(ended.status).toBe('failed');
    expect(ended.failureKind, ended.errorMessage ?? '').toBe('disk_full');
    expect(ended.errorMessage).toMatch(/disk is full/);
    expect(ended.errorMessage).toContain(`still full after ${diskFullAttempts} attempts`);
    expect(seconds).toBeLessThan(30);
    expect(partialFiles(dataDir)).toEqual([]);
    expect(existsSync(join(runDir, 'manifest.json'))).toBe(false);
    expect(existsSync(join(runDir, 'output.mp4'))).toBe(false);
    expect(ended.outputs?.files ?? []).toEqual([]);
  });
});

async function freeBytes(dir: string): Promise<number> {
  const stats = await statfs(dir);
  return stats.bavail * stats.bsize;
}

function partialFiles(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String).filter((name) => name.includes('.partial')) : [];
}
