import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setFaults } from '../../simulator/install.js';
import { findRun } from '../../src/db/queries/runs.js';
import { countRows } from '../helpers/migrated-db.js';
import { createPipelineHarness, makeUniqueInputs, type PipelineHarness } from '../helpers/pipeline-harness.js';
import { parseJson, runCosmos, type CosmosResult } from '../helpers/run-cosmos.js';
import { seedRun } from '../helpers/seed-records.js';

interface RunJson {
  id: string; status: string; promptId: string; modelType: string; gpuHost: string; failureKind: string | null;
  executionConfig: Record<string, unknown>; retryOfRunId: string | null; batchId: string | null;
}

describe('cosmos retry (built executable, real stack, two simulated hosts)', () => {
  let h: PipelineHarness;
  let promptId: string;
  let failed: RunJson;
  let retried: RunJson;
  const cosmos = (...args: string[]): Promise<CosmosResult> => runCosmos(h.configPath, args);

  beforeAll(async () => {
    h = await createPipelineHarness({ transport: 'local', moreHosts: [{}] });
    await h.startWorker();
    const inputs = await makeUniqueInputs(h.dir);
    promptId = parseJson<{ prompt: { id: string } }>(await cosmos('create', 'prompt', 'a harbour crane that will explode at dawn', inputs, '--json')).prompt.id;
    await setFaults(h.simHome, [{ promptContains: 'explode', mode: 'exit1' }]);
    const attempt = await cosmos('inference', promptId, '--seed', '9', '--steps', '12', '--host', h.hostName, '--wait', '--json');
    expect(attempt.code).toBe(1);
    failed = (JSON.parse(attempt.stdout) as { run: RunJson }).run;
    expect(failed).toMatchObject({ status: 'failed', failureKind: 'container_failed' });
    await setFaults(h.simHome, []);
  });
  afterAll(() => h?.close());

  async function waitUntilFinished(runId: string) {
    const deadline = Date.now() + 90_000;
    for (;;) {
      const run = await findRun(h.db, runId);
      if (run && ['completed', 'failed', 'cancelled'].includes(run.status)) return run;
      if (Date.now() > deadline) throw new Error(`run ${runId} is still ${run?.status} after 90 s`);
      await sleep(200);
    }
  }

  it('retries a failed run as a new run of the same prompt, parameters and host that completes and records what it retries', async () => {
    const result = await cosmos('retry', failed.id, '--wait', '--json');
    expect(result.code).toBe(0);
    retried = (JSON.parse(result.stdout) as { run: RunJson }).run;
    expect(retried.id).not.toBe(failed.id);
    expect(retried).toMatchObject({
      status: 'completed', modelType: 'transfer', promptId, gpuHost: h.hostName, retryOfRunId: failed.id, executionConfig: failed.executionConfig,
    });
    expect(retried.executionConfig).toMatchObject({ seed: 9, num_steps: 12 });
    // The failed run stays as it was.
    expect(await findRun(h.db, failed.id)).toMatchObject({ status: 'failed', retryOfRunId: null });
  });

  it('shows the link both ways: "retry of" on the new run and "retried by" on the old one', async () => {
    const shownNew = await cosmos('show', retried.id);
    expect(shownNew.code).toBe(0);
    expect(shownNew.stdout).toContain(`retry of ${failed.id}`);
    const shownOld = await cosmos('show', failed.id);
    expect(shownOld.stdout).toContain(`retried by ${retried.id} (completed)`);
    const json = parseJson<{ run: RunJson; lineage: { retryOfRunId: string | null; retriedByRunIds: string[] } }>(await cosmos('show', failed.id, '--json'));
    expect(json.lineage).toMatchObject({ retryOfRunId: null, retriedByRunIds: [retried.id] });
    expect(parseJson<{ lineage: { retryOfRunId: string } }>(await cosmos('show', retried.id, '--json')).lineage.retryOfRunId).toBe(failed.id);
  });

  it('retries a cancelled run on another host with --host and prints the started run like inference does', async () => {
    const cancelled = await seedRun(h.db, promptId, { status: 'cancelled', failureKind: 'cancelled', errorMessage: 'cancelled', gpuHost: h.hostName });
    const otherHost = h.hosts[1]!.name;
    const result = await cosmos('retry', cancelled.id, '--host', otherHost);
    expect(result.code).toBe(0);
    const [, newId] = /^started (rs_[0-9a-f]{32}) \(transfer\) on (\S+)\n/.exec(result.stdout) ?? [];
    expect(result.stdout).toContain(`on ${otherHost}`);
    expect(newId).toBeDefined();
    const started = parseJson<{ run: RunJson }>(await cosmos('show', newId!, '--json')).run;
    expect(started).toMatchObject({ retryOfRunId: cancelled.id, gpuHost: otherHost, promptId });
    const done = await waitUntilFinished(newId!);
    expect(done.status).toBe('completed');
    // A seeded run has no parameters recorded: the retry runs with the defaults, as the inference would.
    expect(done.executionConfig).toMatchObject({ num_steps: 35, seed: 1 });
  });

  it('refuses to retry a completed, running or pending run with exit 1 and creates no run', async () => {
    const running = await seedRun(h.db, promptId, { status: 'running', gpuHost: h.hostName });
    const pending = await seedRun(h.db, promptId, { status: 'pending', gpuHost: h.hostName });
    const before = await countRows(h.db);
    expect(await cosmos('retry', retried.id)).toMatchObject({
      code: 1, stderr: `cosmos: run ${retried.id} is completed; only a failed or cancelled run can be retried\n`,
    });
    expect(await cosmos('retry', running.id)).toMatchObject({
      code: 1, stderr: expect.stringMatching(new RegExp(`^cosmos: run ${running.id} is running; only a failed or cancelled run can be retried \\(cancel it first`)),
    });
    expect(await cosmos('retry', pending.id, '--json')).toMatchObject({ code: 1, stderr: expect.stringContaining(`run ${pending.id} is pending`) });
    expect(await countRows(h.db)).toEqual(before);
  });

  it('answers an unknown id, a malformed id and an unknown host with exit 1, and missing arguments with exit 2', async () => {
    const before = await countRows(h.db);
    const unknown = `rs_${'0'.repeat(32)}`;
    expect(await cosmos('retry', unknown)).toMatchObject({ code: 1, stderr: `cosmos: run ${unknown} does not exist\n` });
    expect(await cosmos('retry', 'rs_nope')).toMatchObject({ code: 1, stderr: 'cosmos: "rs_nope" is not a run id (rs_ followed by 32 hex digits)\n' });
    expect(await cosmos('retry', failed.id, '--host', 'nope')).toMatchObject({ code: 1, stderr: expect.stringContaining('GPU host "nope" is not configured') });
    expect(await cosmos('retry')).toMatchObject({ code: 2, stderr: expect.stringContaining('expected one run id') });
    expect(await cosmos('retry', failed.id, retried.id)).toMatchObject({ code: 2 });
    expect(await countRows(h.db)).toEqual(before);
  });

  it('prints help with examples', async () => {
    const help = await cosmos('retry', '--help');
    expect(help).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Usage: cosmos retry <run_id>/) });
    expect(help.stdout).toMatch(/Examples?:/);
    expect((await cosmos('--help')).stdout).toContain('retry <run_id>');
  });
});
