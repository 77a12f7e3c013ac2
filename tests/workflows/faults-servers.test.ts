import { createWriteStream, type WriteStream } from 'node:fs';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startInference, waitForRun } from '../../src/client/runs.js';
import { createPrompt } from '../../src/core/create-prompt.js';
import { createDb, type Db, type DbHandle } from '../../src/db/client.js';
import { findRun, listRunEvents } from '../../src/db/queries/runs.js';
import { startEmbeddedPostgres, type EmbeddedPostgresServer } from '../../src/services/embedded-postgres.js';
import { startTemporalDevServer, type TemporalDevServer } from '../../src/services/temporal-dev-server.js';
import { cosmosSearchAttributes } from '../../src/workflows/search-attributes.js';
import { createPipelineHarness, makeUniqueInputs, type HarnessOptions, type PipelineHarness } from '../helpers/pipeline-harness.js';
import { expectIntactCompletedRun } from '../helpers/run-checks.js';
import { waitUntil } from '../helpers/worker-process.js';

/** The heartbeat timeout given to the harness; each outage lasts twice as long. */
const heartbeatSeconds = 4;
const outageSeconds = heartbeatSeconds * 2;
/**
 * One 4.5 s chunk (150 simulated s at timeScale 0.03) instead of the default 16 s: its `done` and `video saved`
 * milestones then come due while the server is down, so the outage meets writes, not just idle connections.
 */
const sim = { timeScale: 0.03, secondsPerChunk: 150 };

/** The database or the Temporal server goes away while a container generates, and comes back on the same port and data. */
describe('a run whose PostgreSQL or Temporal server restarts', () => {
  let h: PipelineHarness | undefined;
  let dir: string | undefined;
  // Every server of the test's own, stopped after the harness (which still drops its database on the server).
  let stops: Array<() => Promise<void>> = [];

  afterEach(async () => {
    await h?.close();
    h = undefined;
    for (const stop of stops.reverse()) await stop().catch((error: unknown) => console.error(`[faults] cleanup: ${String(error)}`));
    stops = [];
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  /** Under os.tmpdir() and searchable by others: as root, postgres runs as its own user. */
  async function serverDir(): Promise<string> {
    dir = await mkdtemp(join(tmpdir(), 'cosmos-faults-servers-'));
    await chmod(dir, 0o755);
    return dir;
  }

  async function start(options: Partial<HarnessOptions>, text: string) {
    h = await createPipelineHarness({ transport: 'ssh', sim, ...options, temporal: { heartbeat_timeout: `${heartbeatSeconds}s` } });
    await h.startWorker();
    const videoDir = await makeUniqueInputs(h.dir);
    const { prompt } = await createPrompt(h.db, { text, videoDir }, { negativePrompt: 'n' });
    const { run } = await startInference({ db: h.db, temporal: h.temporal, config: h.config }, { promptId: prompt.id });
    return { harness: h, runId: run.id };
  }

  /** A connection of its own for watching the run: a query while the server is down yields undefined instead of failing the test. */
  function watcher(url: string): DbHandle & { snapshot(runId: string): Promise<Snapshot | undefined> } {
    const handle = createDb(url, { max: 1 });
    stops.push(handle.close);
    return { ...handle, snapshot: (runId) => snapshot(handle.db, runId).catch(() => undefined) };
  }

  it('keeps generating through a PostgreSQL restart: one container, every milestone once, outputs that verify', async () => {
    const root = await serverDir();
    const dataDir = join(root, 'postgres');
    let pg: EmbeddedPostgresServer | null = await startEmbeddedPostgres({ dataDir });
    const port = Number(new URL(pg.url).port);
    stops.push(async () => { await pg?.stop(); pg = null; });

    const { harness, runId } = await start({ databaseServerUrl: pg.url }, 'postgres restarts while generating');
    const watch = watcher(harness.config.database.url!);
    await waitUntil(async () => (await watch.snapshot(runId))?.stage === 'generating', 'generation');

    const before = (await watch.snapshot(runId))!;
    await pg.stop();
    pg = null;
    const stopped = Date.now();
    await sleep(outageSeconds * 1000);
    pg = await startEmbeddedPostgres({ dataDir, port });
    const returned = Date.now();
    expect(Number(new URL(pg.url).port)).toBe(port);

    // Moved: a milestone or progress written after the outage, or the run finished.
    await waitUntil(async () => {
      const now = await watch.snapshot(runId);
      return now !== undefined && (now.status !== 'running' || now.logEvents > before.logEvents || now.progress !== before.progress);
    }, `run ${runId} to move again after PostgreSQL returned`, 60_000);
    const moved = (Date.now() - returned) / 1000;
    console.log(`[faults] PostgreSQL down ${((returned - stopped) / 1000).toFixed(1)} s during generation: run moved again ${moved.toFixed(1)} s after PostgreSQL returned`);
    expect(moved).toBeLessThan(heartbeatSeconds + 30);

    // The harness's own pooled handle lost every connection with the server; it reconnects on this query.
    await waitForRun({ db: harness.db, temporal: harness.temporal, config: harness.config }, runId);
    await expectIntactCompletedRun(harness.db, harness.simHome, runId);
    expect(await milestonesLoggedBetween(harness.db, runId, stopped, returned), 'milestones the container logged while the server was down').not.toEqual([]);
  });

  it('keeps generating through a Temporal server restart: one container, every milestone once, outputs that verify', async () => {
    const root = await serverDir();
    const log: WriteStream = createWriteStream(join(root, 'temporal.log'));
    stops.push(() => new Promise<void>((resolve) => log.end(resolve)));
    const serverOptions = {
      dataDir: join(root, 'temporal'), headless: true, searchAttributes: cosmosSearchAttributes,
      log: (line: string) => log.write(`${line}\n`),
    };
    let temporal: TemporalDevServer | null = await startTemporalDevServer(serverOptions);
    const port = Number(temporal.address.split(':').pop());
    stops.push(async () => { await temporal?.stop(); temporal = null; });

    const { harness, runId } = await start({ temporalAddress: temporal.address }, 'temporal restarts while generating');
    const watch = watcher(harness.config.database.url!);
    await waitUntil(async () => (await watch.snapshot(runId))?.stage === 'generating', 'generation');

    await temporal.stop();
    temporal = null;
    const stopped = Date.now();
    await sleep(outageSeconds * 1000);
    temporal = await startTemporalDevServer({ ...serverOptions, port });
    const returned = Date.now();
    expect(temporal.address).toBe(`127.0.0.1:${port}`);

    // Moved, as Temporal sees it: a heartbeat after its return that reports the container, or the workflow closed.
    const handle = harness.temporal.workflow.getHandle((await findRun(harness.db, runId))!.workflowId!);
    await waitUntil(async () => {
      const { status, raw } = await handle.describe().catch(() => ({ status: undefined, raw: undefined }));
      if (!status) return false;
      if (status.name !== 'RUNNING') return true;
      return (raw?.pendingActivities ?? []).some((activity) => {
        const at = Number(activity.lastHeartbeatTime?.seconds ?? 0) * 1000 + Math.floor((activity.lastHeartbeatTime?.nanos ?? 0) / 1e6);
        const details = (activity.heartbeatDetails?.payloads ?? []).map((p) => JSON.parse(Buffer.from(p.data!).toString()) as { phase?: string });
        return at > returned && details.some((d) => d.phase !== undefined && d.phase !== 'waiting for the GPU host');
      });
    }, `run ${runId} to move again after Temporal returned`, 60_000);
    const moved = (Date.now() - returned) / 1000;
    console.log(`[faults] Temporal down ${((returned - stopped) / 1000).toFixed(1)} s during generation: run moved again ${moved.toFixed(1)} s after Temporal returned`);
    expect(moved).toBeLessThan(heartbeatSeconds + 30);

    await waitForRun({ db: harness.db, temporal: harness.temporal, config: harness.config }, runId);
    await expectIntactCompletedRun(harness.db, harness.simHome, runId);
    expect(await milestonesLoggedBetween(harness.db, runId, stopped, returned), 'milestones the container logged while the server was down').not.toEqual([]);
  });
});

/**
 * Milestone lines (chunk done, video saved) whose loguru timestamp falls in [from, to): proof that the outage met
 * a milestone write. The simulator runs on this machine, so its local time is ours; the stamp has whole seconds.
 */
async function milestonesLoggedBetween(db: Db, runId: string, from: number, to: number): Promise<string[]> {
  const log = await readFile((await findRun(db, runId))!.outputs!.logPath!, 'utf8');
  const year = new Date(from).getFullYear();
  return log.split('\n').filter((line) => {
    const match = /^\[(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\|/.exec(line);
    if (!match || !/Completed diffusion sampling|Saved video to/.test(line)) return false;
    const [month, day, hours, minutes, seconds] = match.slice(1).map(Number) as [number, number, number, number, number];
    const at = new Date(year, month - 1, day, hours, minutes, seconds).getTime();
    return at >= Math.floor(from / 1000) * 1000 && at < to;
  });
}

interface Snapshot { status: string; stage: string | null; progress: number; logEvents: number }

async function snapshot(db: Db, runId: string): Promise<Snapshot | undefined> {
  const run = await findRun(db, runId);
  if (!run) return undefined;
  const logEvents = (await listRunEvents(db, runId)).filter((e) => e.logSeq !== null).length;
  return { status: run.status, stage: run.stage, progress: run.progress, logEvents };
}
