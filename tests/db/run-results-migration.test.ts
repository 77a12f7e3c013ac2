import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRun } from '../../src/db/queries/runs.js';
import type { Db } from '../../src/db/client.js';
import { openMigratedDb } from '../helpers/migrated-db.js';
import { seedPrompt, seedRun } from '../helpers/seed-records.js';

/** Rows recorded before model plug-ins kept the result as `video` / `enhancedText`; migration 0003 moves it to `result`. */
describe('migration 0003: run outputs in one shape', () => {
  let handle: Awaited<ReturnType<typeof openMigratedDb>>;
  let db: Db;
  beforeAll(async () => {
    handle = await openMigratedDb();
    db = handle.db;
  });
  afterAll(() => handle?.close());

  it('turns an old video and an old enhanced text into a typed result, and leaves new rows alone', async () => {
    const prompt = await seedPrompt(db);
    const files = [{ name: 'output_4k.mp4', path: '/r/output_4k.mp4', sha256: 'a'.repeat(64), bytes: 1 }];
    const video = { width: 3840, height: 2112, frames: 121, fps: 24 };
    const upscale = await seedRun(db, prompt.id, { modelType: 'upscale', status: 'completed', completedAt: new Date(), outputs: { runDir: '/r', files, video } as never });
    const enhance = await seedRun(db, prompt.id, { modelType: 'enhance', status: 'completed', completedAt: new Date(), outputs: { runDir: '/e', files: [], enhancedText: 'a long\ntext', enhancedPromptId: 'ps_x' } as never });
    const fresh = await seedRun(db, prompt.id, { status: 'completed', completedAt: new Date(), outputs: { runDir: '/n', files: [], result: { kind: 'video', file: 'output.mp4', width: 1, height: 1, frames: 1, fps: 1 } } });
    const migration = await readFile(join(import.meta.dirname, '..', '..', 'src', 'db', 'migrations', '0003_run_results.sql'), 'utf8');
    for (const statement of migration.split('--> statement-breakpoint')) await db.execute(sql.raw(statement));

    expect((await findRun(db, upscale.id))!.outputs).toEqual({ runDir: '/r', files, result: { kind: 'video', file: 'output_4k.mp4', ...video } });
    expect((await findRun(db, enhance.id))!.outputs).toEqual({ runDir: '/e', files: [], result: { kind: 'text', text: 'a long\ntext', promptId: 'ps_x' } });
    expect((await findRun(db, fresh.id))!.outputs).toEqual(fresh.outputs);
  });
});
