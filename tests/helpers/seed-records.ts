import { randomBytes } from 'node:crypto';
import type { Db } from '../../src/db/client.js';
import { newPromptId, newRunId } from '../../src/db/ids.js';
import { prompts, runs, type NewPrompt, type NewRun, type Prompt, type Run } from '../../src/db/schema.js';

const fakeVideo = { path: '/nonexistent/color.mp4', sha256: '0'.repeat(64), bytes: 1, width: 64, height: 48, frames: 9, fps: 24 };

/** A prompt row straight into the database, for tests about listing and bookkeeping rather than inputs. */
export async function seedPrompt(db: Db, fields: Partial<NewPrompt> = {}): Promise<Prompt> {
  const [row] = await db.insert(prompts).values({
    id: newPromptId(), name: 'seeded_prompt', promptText: 'a seeded prompt', negativePrompt: 'n',
    inputs: { video: fakeVideo }, contentKey: randomBytes(16).toString('hex'), ...fields,
  }).returning();
  return row!;
}

export async function seedRun(db: Db, promptId: string, fields: Partial<NewRun> = {}): Promise<Run> {
  const terminal = fields.status === 'completed' || fields.status === 'failed' || fields.status === 'cancelled';
  const [row] = await db.insert(runs).values({
    id: newRunId(), promptId, modelType: 'transfer', status: 'pending', executionConfig: {},
    ...(terminal ? { completedAt: new Date() } : {}),
    ...(fields.status === 'failed' ? { errorMessage: 'seeded failure', failureKind: 'container_failed' as const } : {}),
    ...fields,
  }).returning();
  return row!;
}
