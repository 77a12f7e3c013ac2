import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdir, readdir, readFile, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cancelWork, startInference, waitForRun } from '../../src/client/runs.js';
import { createPrompt } from '../../src/core/create-prompt.js';
import { findRun } from '../../src/db/queries/runs.js';
import { batches, runs, type Prompt, type Run } from '../../src/db/schema.js';
import type { CleanupItem, HostCleanup } from '../../src/gpu/host-cleanup.js';
import { listSimContainers, setFaults } from '../../simulator/install.js';
import { createPipelineHarness, makeUniqueInputs, type PipelineHarness } from '../helpers/pipeline-harness.js';
import { parseJson, runCosmos, type CosmosResult } from '../helpers/run-cosmos.js';
import { seedPrompt, seedRun } from '../helpers/seed-records.js';

interface CleanJson { dryRun: boolean; olderThan: string; bytes: number; hosts: HostCleanup[] }

/** Apparent size of a folder and everything in it, no link followed (what `du -sb` counts). */
async function treeBytes(path: string): Promise<number> {
  const info = await lstat(path);
  if (!info.isDirectory()) return info.size;
  let total = info.size;
  for (const name of await readdir(path)) total += await treeBytes(join(path, name));
  return total;
}

describe('cosmos clean over SSH (built executable, real stack)', () => {
  let h: PipelineHarness;
  const deps = () => ({ db: h.db, temporal: h.temporal, config: h.config });
  const cosmos = (...args: string[]): Promise<CosmosResult> => runCosmos(h.configPath, args);
  const clean = async (...args: string[]) => parseJson<CleanJson>(await cosmos('clean', '--json', ...args));
  const jobDir = (key: string) => join(h.remoteDir, 'cosmos-jobs', key);
  const cachePath = (sha: string) => join(h.remoteDir, 'cosmos-cache', 'sha256', sha);
  const inputShas = (p: Prompt) => [p.inputs.video.sha256, p.inputs.depth!.sha256];
  const containerNames = async () => (await listSimContainers(h.simHome)).map((c) => c.name);
  const summary = (items: CleanupItem[]) => items.map((i) => `${i.kind} ${i.name} ${i.bytes}`).sort();
  const newPrompt = async (text: string) => (await createPrompt(h.db, { text, videoDir: await makeUniqueInputs(h.dir) }, { negativePrompt: 'n' })).prompt;
  const untilRun = async (id: string, done: (run: Run) => boolean) => {
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(200)) {
      const run = await findRun(h.db, id);
      if (run && done(run)) return run;
    }
    throw new Error(`run ${id} did not get there in time`);
  };

  let completed: Run; let failed: Run; let deleted: Run; let open: Run; let queued: Run;
  let prompts: Record<'completed' | 'failed' | 'deleted' | 'open' | 'queued', Prompt>;
  let stray: string; let strayBytes: number;
  const partialName = `.${randomBytes(32).toString('hex')}.abcd1234.partial`;
  const linkName = randomBytes(32).toString('hex');
  const containerOf = (run: Run) => `cosmos-transfer-${run.id}`;
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const outside = () => join(h.dir, 'outside');

  beforeAll(async () => {
    h = await createPipelineHarness({ transport: 'ssh' });
    await h.startWorker();
    await setFaults(h.simHome, [{ promptContains: 'hangs', mode: 'hang' }, { promptContains: 'fails', mode: 'exit1' }]);
    prompts = {
      completed: await newPrompt('a harbour at dawn'), failed: await newPrompt('a harbour that fails'),
      deleted: await newPrompt('a harbour soon forgotten'), open: await newPrompt('a harbour that hangs'), queued: await newPrompt('a harbour in the queue'),
    };
    const finish = async (p: Prompt) => waitForRun(deps(), (await startInference(deps(), { promptId: p.id })).run.id);
    completed = await finish(prompts.completed);
    failed = await finish(prompts.failed);
    deleted = await finish(prompts.deleted);
    expect([completed.status, failed.status, deleted.status]).toEqual(['completed', 'failed', 'completed']);
    // Its prompt and run rows go; its cache files are then named by nothing, its folder and container by no run.
    expect((await cosmos('delete', 'prompt', prompts.deleted.id, '--yes')).code).toBe(0);

    // The one GPU is held by a hanging run, so the next one waits in the GPU queue: bound to no host, nothing uploaded yet.
    open = await untilRun((await startInference(deps(), { promptId: prompts.open.id })).run.id, (r) => r.stage === 'generating');
    queued = await untilRun((await startInference(deps(), { promptId: prompts.queued.id })).run.id, (r) => r.stage === 'queued');

    // Leftovers of other kinds: an old unreferenced cache file, a partial upload, a cache-named link and a link
    // out of a finished job folder (both to a folder outside remote_dir), and a file that is no job.
    await mkdir(outside());
    await writeFile(join(outside(), 'keep.bin'), randomBytes(2048));
    stray = cachePath(randomBytes(32).toString('hex'));
    await writeFile(stray, randomBytes(3000));
    strayBytes = (await stat(stray)).size;
    const tenDaysAgo = new Date(Date.now() - 10 * 86_400_000);
    await utimes(stray, tenDaysAgo, tenDaysAgo);
    await writeFile(cachePath(partialName), 'half');
    await symlink(join(outside(), 'keep.bin'), cachePath(linkName));
    await symlink(outside(), join(jobDir(completed.id), 'escape'));
    await writeFile(join(h.remoteDir, 'cosmos-jobs', 'notes.txt'), 'not a job');
  });
  afterAll(() => h?.close());

  let planned: CleanJson;

  it('lists by default only what is older than 7 days: the old unreferenced cache file', async () => {
    const plan = await clean('--dry-run');
    expect(plan).toMatchObject({ dryRun: true, olderThan: '7d', bytes: strayBytes });
    expect(plan.hosts).toHaveLength(1);
    expect(plan.hosts[0]!.items).toEqual([expect.objectContaining({ kind: 'cache_file', name: stray, bytes: strayBytes, jobKey: null })]);
  });

  it('--dry-run lists the finished runs\' containers and folders and the unreferenced cache files with their sizes', async () => {
    planned = await clean('--dry-run', '--older-than', '0s');
    const [host] = planned.hosts as [HostCleanup];
    expect(host).toMatchObject({ host: h.hostName, error: null, failed: [] });
    const expected = [
      ...[completed, failed].map((r) => ['container', containerOf(r)]),
      ...[completed, failed].map((r) => ['job_folder', jobDir(r.id)]),
      ...[stray, ...inputShas(prompts.deleted).map(cachePath)].map((path) => ['cache_file', path]),
    ];
    expect(host.items.map((i) => [i.kind, i.name]).sort()).toEqual(expected.sort());
    for (const item of host.items.filter((i) => i.kind === 'job_folder')) expect(item.bytes).toBe(await treeBytes(item.name));
    for (const item of host.items.filter((i) => i.kind === 'cache_file')) expect(item.bytes).toBe((await stat(item.name)).size);
    expect(host.bytes).toBe(host.items.reduce((sum, i) => sum + i.bytes, 0));
    expect(planned.bytes).toBe(host.bytes);
    // The open run's folder, the deleted run's folder and container, the inputs of the three prompts that ran.
    expect(host.kept).toEqual({ open: 1, unknown: 2, referenced: 6, recent: 0, unverified: 0 });
    expect(existsSync(jobDir(queued.id))).toBe(false);

    const text = await cosmos('clean', '--dry-run', '--older-than', '0s');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`${h.hostName}: would remove 7 item(s)`);
    expect(text.stdout).toContain(`(${host.bytes} bytes)`);
    for (const item of host.items) expect(text.stdout).toMatch(new RegExp(`^ {2}${item.kind.replace('_', ' ')} +${item.bytes} +${escape(item.name)}$`, 'm'));
  });

  it('a real run without a terminal needs --yes, and removes nothing without it', async () => {
    const refused = await cosmos('clean', '--older-than', '0s');
    expect(refused).toMatchObject({ code: 2, stderr: expect.stringContaining('pass --yes') });
    expect(existsSync(stray)).toBe(true);
    expect(existsSync(jobDir(completed.id))).toBe(true);
    expect(await cosmos('clean', '--older-than', '3 days')).toMatchObject({ code: 2, stderr: expect.stringContaining('--older-than expects an age') });
  });

  it('frees exactly what --dry-run listed, and leaves the open run\'s files and everything referenced', async () => {
    const result = await clean('--older-than', '0s', '--yes');
    const [host] = result.hosts as [HostCleanup];
    expect(result.dryRun).toBe(false);
    expect(host.failed).toEqual([]);
    expect(summary(host.items)).toEqual(summary(planned.hosts[0]!.items));
    expect(result.bytes).toBe(planned.bytes);

    const names = await containerNames();
    expect(names).not.toContain(containerOf(completed));
    expect(names).not.toContain(containerOf(failed));
    expect(existsSync(jobDir(completed.id))).toBe(false);
    expect(existsSync(jobDir(failed.id))).toBe(false);
    for (const sha of inputShas(prompts.deleted)) expect(existsSync(cachePath(sha))).toBe(false);
    expect(existsSync(stray)).toBe(false);
    // The open run: its container still running, its folder and inputs as they were.
    expect((await listSimContainers(h.simHome)).find((c) => c.name === containerOf(open))?.status).toBe('running');
    expect(existsSync(join(jobDir(open.id), 'inputs', 'color.mp4'))).toBe(true);
    for (const p of [prompts.completed, prompts.failed, prompts.open]) for (const sha of inputShas(p)) expect(existsSync(cachePath(sha))).toBe(true);
    // Never through a link: what they pointed at is there, and so are entries that are not ours to judge.
    expect((await readFile(join(outside(), 'keep.bin'))).length).toBe(2048);
    const referenced = [prompts.completed, prompts.failed, prompts.open].flatMap(inputShas);
    expect((await readdir(join(h.remoteDir, 'cosmos-cache', 'sha256'))).sort()).toEqual([...referenced, partialName, linkName].sort());
    expect(existsSync(join(h.remoteDir, 'cosmos-jobs', 'notes.txt'))).toBe(true);
    expect(existsSync(jobDir(deleted.id))).toBe(true);
    expect(names).toContain(containerOf(deleted));
  });

  it('a second clean frees nothing', async () => {
    const again = await clean('--older-than', '0s', '--yes');
    expect(again.bytes).toBe(0);
    expect(again.hosts[0]!.items).toEqual([]);
  });

  it('once the hanging run is cancelled the queued one completes, and then their containers and folders go', async () => {
    expect(await cancelWork(deps(), open.id)).toEqual({ cancelled: [open.id] });
    expect((await waitForRun(deps(), open.id)).status).toBe('cancelled');
    const done = await waitForRun(deps(), queued.id);
    expect(done).toMatchObject({ status: 'completed', outputs: expect.objectContaining({ files: expect.any(Array) }) });

    const result = await clean('--older-than', '0s', '--yes');
    const items = result.hosts[0]!.items;
    expect(items.filter((i) => i.kind === 'job_folder').map((i) => i.name).sort()).toEqual([jobDir(open.id), jobDir(queued.id)].sort());
    expect(items.filter((i) => i.kind === 'cache_file')).toEqual([]);
    const names = await containerNames();
    for (const run of [open, done]) {
      expect(names).not.toContain(containerOf(run));
      expect(existsSync(jobDir(run.id))).toBe(false);
    }
    for (const p of [prompts.open, prompts.queued]) for (const sha of inputShas(p)) expect(existsSync(cachePath(sha))).toBe(true);
  });

  it('keeps a batch\'s folders while any of its runs is open, and a completed run\'s without recorded outputs', async () => {
    const batchId = `bt_${randomBytes(16).toString('hex')}`;
    await h.db.insert(batches).values({ id: batchId, status: 'running' });
    const prompt = await seedPrompt(h.db);
    const outputs = { files: [], runDir: join(h.dir, 'nowhere') };
    await seedRun(h.db, prompt.id, { batchId, batchIndex: 0, status: 'completed', outputs, gpuHost: h.hostName });
    const running = await seedRun(h.db, prompt.id, { batchId, batchIndex: 1, status: 'running', gpuHost: h.hostName });
    const unverified = await seedRun(h.db, prompt.id, { status: 'completed', gpuHost: h.hostName });
    const folders = [`${batchId}-1`, `${batchId}-2`, unverified.id].map(jobDir);
    for (const folder of folders) {
      await mkdir(join(folder, 'outputs'), { recursive: true });
      await writeFile(join(folder, 'outputs', 'output.mp4'), randomBytes(500));
    }
    const listed = async () => (await clean('--dry-run', '--older-than', '0s')).hosts[0]!;
    const before = await listed();
    expect(before.items).toEqual([]);
    expect(before.kept).toMatchObject({ open: 2, unverified: 1 });

    await h.db.update(runs).set({ status: 'failed', errorMessage: 'seeded', completedAt: new Date() }).where(eq(runs.id, running.id));
    const after = await listed();
    expect(after.items.map((i) => [i.kind, i.name, i.jobKey]).sort()).toEqual([
      ['job_folder', folders[0], `${batchId}-1`], ['job_folder', folders[1], `${batchId}-2`],
    ].sort());
    expect(after.kept).toMatchObject({ open: 0, unverified: 1 });
    const removed = await clean('--older-than', '0s', '--yes');
    expect(removed.bytes).toBe(after.bytes);
    expect(folders.map((f) => existsSync(f))).toEqual([false, false, true]);
  });
});
