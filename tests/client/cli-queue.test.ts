import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueueReport } from '../../src/client/queue.js';
import { allHosts, findGpuJob, runSchedulingPass } from '../../src/db/queries/gpu-queue.js';
import { gpuHostControls } from '../../src/db/schema.js';
import { createPipelineHarness, type PipelineHarness } from '../helpers/pipeline-harness.js';
import { parseJson, runCosmos } from '../helpers/run-cosmos.js';
import { seedQueue, type SeededQueue } from '../helpers/seed-queue.js';

/** `cosmos queue`, `queue pause|resume` and `host drain|undrain` against a seeded queue; no worker, no Temporal workflow. */
describe('cosmos queue and cosmos host', () => {
  let h: PipelineHarness;
  let q: SeededQueue;
  let wide: string;
  let narrow: string;
  const cosmos = (...args: string[]) => runCosmos(h.configPath, args);
  const control = async (host: string) => (await h.db.select().from(gpuHostControls).where(eq(gpuHostControls.host, host)))[0];
  const pass = () => runSchedulingPass(h.db, new Map([[wide, [0, 1]], [narrow, [0]]]));
  const near = (iso: string | null, offsetSeconds: number) => {
    expect(iso).not.toBeNull();
    expect(Math.abs(Date.parse(iso!) - (Date.now() + offsetSeconds * 1000))).toBeLessThan(15_000);
  };

  beforeAll(async () => {
    h = await createPipelineHarness({ transport: 'local', sim: { gpus: 2 }, host: { gpus: [0, 1] }, moreHosts: [{ gpus: [0] }] });
    [wide, narrow] = h.hosts.map((x) => x.name) as [string, string];
    q = await seedQueue(h.db, wide, narrow);
  });
  afterAll(() => h?.close());

  it('reports running jobs with host, GPUs and time left, and waiting jobs in order with position, pinned host and estimated start', async () => {
    const report = parseJson<QueueReport>(await cosmos('queue', '--json'));
    expect(report.paused).toBe(false);
    expect(report.hosts).toEqual([
      expect.objectContaining({ host: wide, gpus: [0, 1], leased: [0, 1], paused: false, drained: false }),
      expect.objectContaining({ host: narrow, gpus: [0], leased: [] }),
    ]);
    expect(report.running.map((j) => [j.jobKey, j.host, j.devices.length, j.estimatedSeconds])).toEqual([[q.runningA, wide, 1, 200], [q.runningB, wide, 1, 200]]);
    const [a, b] = report.running as [QueueReport['running'][number], QueueReport['running'][number]];
    expect(a.remainingSeconds).toBeGreaterThan(180);
    expect(a.remainingSeconds).toBeLessThanOrEqual(200);
    expect(b).toMatchObject({ containerStartedAt: null, remainingSeconds: 200, estimateBasis: expect.stringContaining('median of 3 finished transfer job(s)') });

    expect(report.waiting.map((j) => [j.position, j.jobKey, j.priority, j.pinnedHost, j.estimatedHost])).toEqual([
      [1, q.waitingE, 5, null, wide], [2, q.waitingC, 0, null, narrow], [3, q.waitingD, 0, narrow, narrow],
    ]);
    near(report.waiting[0]!.estimatedStartAt, 200);
    near(report.waiting[1]!.estimatedStartAt, 0);
    near(report.waiting[2]!.estimatedStartAt, 200);
    expect(report.waiting[2]).toMatchObject({ modelType: 'transfer', runIds: [q.waitingD], candidates: [{ host: narrow, gpus: 1 }], waitingFor: null });
    expect(report.waiting[0]!.waitedSeconds).toBeGreaterThanOrEqual(0);
  });

  it('prints the same as one table: running rows, then the waiting ones by position', async () => {
    const result = await cosmos('queue');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('queue open · 2 running, 3 waiting');
    expect(result.stdout).toContain(`  ${wide}: 2 of 2 GPUs leased`);
    expect(result.stdout).toMatch(/^#\s+JOB\s+MODEL\s+PRI\s+WAITED\s+WAITING FOR \/ HOST\+GPUS\s+ELAPSED\s+ETA$/m);
    expect(result.stdout).toMatch(new RegExp(`^run\\s+${q.runningB}\\s+transfer\\s+0\\s+-\\s+${wide} GPU [01]\\s+\\d+s\\s+ends in ~3m 20s$`, 'm'));
    expect(result.stdout).toMatch(new RegExp(`^1\\s+${q.waitingE}\\s+transfer\\s+5\\s+\\d+s\\s+.*starts in ~(3m [0-2]|2m [3-5])\\ds on ${wide}$`, 'm'));
    expect(result.stdout).toMatch(new RegExp(`^3\\s+${q.waitingD}\\s+.*pinned to ${narrow}; `, 'm'));
  });

  it('pause stops new leases for the whole queue and says what changed; a second pause changes nothing; resume undoes it', async () => {
    expect(await cosmos('queue', 'pause')).toMatchObject({ code: 0, stdout: 'paused the whole queue: no new GPU leases (2 running job(s) go on, 3 waiting)\n' });
    expect(await control(allHosts)).toMatchObject({ paused: true, drained: false });
    expect((await pass()).grants).toEqual([]);
    expect(await cosmos('queue', 'pause')).toMatchObject({ code: 0, stdout: 'the whole queue was already paused; nothing changed (2 running job(s) go on, 3 waiting)\n' });
    const paused = parseJson<QueueReport>(await cosmos('queue', '--json'));
    expect(paused.paused).toBe(true);
    expect(paused.waiting.map((j) => [j.waitingFor, j.estimatedStartAt])).toEqual(Array(3).fill(['the queue is paused', null]));
    expect((await cosmos('queue')).stdout).toMatch(/^queue paused \(no new GPU leases; `cosmos queue resume`\)/);

    const resumed = parseJson<{ host: string; paused: boolean; changed: boolean }>(await cosmos('queue', 'resume', '--json'));
    expect(resumed).toEqual({ host: '*', paused: false, drained: false, changed: true, running: 2, waiting: 3 });
    expect(await control(allHosts)).toMatchObject({ paused: false });
  });

  it('pause and resume --host change only that host\'s row; an unknown host is refused with the configured ones', async () => {
    expect(await cosmos('queue', 'pause', '--host', narrow)).toMatchObject({ code: 0, stdout: `paused host ${narrow}: no new GPU leases (0 running job(s) go on, 2 waiting)\n` });
    expect(await control(narrow)).toMatchObject({ paused: true });
    expect(await control(allHosts)).toMatchObject({ paused: false });
    expect((await cosmos('queue')).stdout).toContain(`  ${narrow}: 0 of 1 GPUs leased · paused`);
    expect(await cosmos('queue', 'resume', '--host', narrow)).toMatchObject({ code: 0, stdout: `resumed host ${narrow}: GPU leases are granted again (0 running, 2 waiting)\n` });
    expect(await control(narrow)).toMatchObject({ paused: false });
    expect(await cosmos('queue', 'pause', '--host', 'nope')).toMatchObject({ code: 1, stderr: `cosmos: GPU host "nope" is not configured (known: ${wide}, ${narrow})\n` });
    expect(await control('nope')).toBeUndefined();
  });

  it('a drained host keeps its running jobs and gets nothing new, while work that can go elsewhere does; undrain takes work again', async () => {
    expect(await cosmos('host', 'drain', wide)).toMatchObject({
      code: 0, stdout: `drained host ${wide}: what runs there finishes, nothing new starts there (2 running job(s) go on, 2 waiting)\n`,
    });
    expect(await control(wide)).toMatchObject({ drained: true, paused: false });
    const { grants } = await pass();
    expect(grants).toEqual([{ jobKey: q.waitingC, host: narrow, devices: [0] }]);
    expect(await findGpuJob(h.db, q.runningA)).toMatchObject({ host: wide });
    const report = parseJson<QueueReport>(await cosmos('queue', '--json'));
    expect(report.running.map((j) => j.jobKey)).toEqual(expect.arrayContaining([q.runningA, q.runningB, q.waitingC]));
    expect(report.waiting.map((j) => [j.position, j.jobKey, j.estimatedStartAt])).toEqual([[1, q.waitingE, null], [2, q.waitingD, expect.any(String)]]);
    expect(report.waiting[0]!.waitingFor).toContain(`${wide} is drained`);
    expect((await cosmos('queue')).stdout).toContain(`  ${wide}: 2 of 2 GPUs leased · drained`);

    expect(await cosmos('host', 'drain', wide)).toMatchObject({ code: 0, stdout: expect.stringContaining(`host ${wide} was already drained; nothing changed`) });
    expect(await cosmos('host', 'undrain', wide)).toMatchObject({ code: 0, stdout: `undrained host ${wide}: it takes new work again (2 running, 1 waiting)\n` });
    expect(await control(wide)).toMatchObject({ drained: false });
  });

  it('host drain names the configured hosts for an unknown one, and both commands refuse wrong usage', async () => {
    expect(await cosmos('host', 'drain', 'gpu-x')).toMatchObject({ code: 1, stderr: `cosmos: GPU host "gpu-x" is not configured (known: ${wide}, ${narrow})\n` });
    expect(await cosmos('host', 'drain')).toMatchObject({ code: 2, stderr: expect.stringContaining('expected one host name after drain') });
    expect(await cosmos('host', 'reboot', wide)).toMatchObject({ code: 2, stderr: expect.stringContaining('expected drain or undrain') });
    expect(await cosmos('queue', 'flush')).toMatchObject({ code: 2, stderr: expect.stringContaining('expected nothing, pause or resume') });
    expect(await cosmos('queue', '--host', wide)).toMatchObject({ code: 2, stderr: expect.stringContaining('--host goes with pause or resume') });
  });
});
