import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/client.js';
import { findRun, findRunWithPrompt, listRunEvents, recordRunStage } from '../../src/db/queries/runs.js';
import { openMigratedDb } from '../helpers/migrated-db.js';
import { seedPrompt, seedRun } from '../helpers/seed-records.js';

describe('run records an activity writes', () => {
  let db: Db;
  let close: () => Promise<void>;
  let promptId: string;

  beforeAll(async () => {
    ({ db, close } = await openMigratedDb());
    promptId = (await seedPrompt(db, { name: 'records_prompt' })).id;
  });
  afterAll(() => close?.());

  it('a stage reached moves a running run on and records its event once; a replayed milestone changes nothing', async () => {
    const run = await seedRun(db, promptId, { status: 'running', stage: 'starting', progress: 0.05 });
    await recordRunStage(db, { runId: run.id, stage: 'generating', progress: 0.4, message: 'chunk 1 of 2', logSeq: 3 });
    await recordRunStage(db, { runId: run.id, stage: 'generating', progress: 0.4, message: 'chunk 1 of 2', logSeq: 3 });
    expect(await findRun(db, run.id)).toMatchObject({ stage: 'generating', progress: 0.4 });
    // An earlier milestone read again after a re-attach: recorded once, and the bar does not move back.
    await recordRunStage(db, { runId: run.id, stage: 'generating', progress: 0.2, message: 'model loaded', logSeq: 2 });
    expect(await findRun(db, run.id)).toMatchObject({ progress: 0.4 });
    const events = await listRunEvents(db, run.id);
    expect(events.map((e) => [e.message, e.logSeq])).toEqual([['chunk 1 of 2', 3], ['model loaded', 2]]);
  });

  it('a finished run keeps its status and stage when a late stage arrives, and the event is still kept', async () => {
    const run = await seedRun(db, promptId, { status: 'completed', progress: 1 });
    await recordRunStage(db, { runId: run.id, stage: 'downloading', progress: 0.9, message: 'downloading outputs' });
    expect(await findRun(db, run.id)).toMatchObject({ status: 'completed', stage: null, progress: 1 });
    expect((await listRunEvents(db, run.id)).map((e) => e.stage)).toEqual(['downloading']);
  });

  it('a stage for a run that was deleted is dropped without an error', async () => {
    await expect(recordRunStage(db, { runId: 'rs_gone', stage: 'downloading', progress: 0.9, message: 'downloading outputs' })).resolves.toBeUndefined();
  });

  it('a run is read with its prompt in one query; a missing run is undefined', async () => {
    const run = await seedRun(db, promptId);
    const found = await findRunWithPrompt(db, run.id);
    expect(found?.run.id).toBe(run.id);
    expect(found?.prompt).toMatchObject({ id: promptId, name: 'records_prompt' });
    expect(await findRunWithPrompt(db, 'rs_missing')).toBeUndefined();
  });
});
