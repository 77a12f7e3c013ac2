import { eq, sql } from 'drizzle-orm';
import type { Db } from '../client.js';
import { prompts, type NewPrompt, type Prompt } from '../schema.js';
import { preparedOnce } from './prepared.js';

/** Inserts the prompt unless one with the same content key exists; returns whichever row is stored. */
export async function insertPrompt(db: Db, prompt: NewPrompt): Promise<{ prompt: Prompt; created: boolean }> {
  const [inserted] = await db.insert(prompts).values(prompt).onConflictDoNothing({ target: prompts.contentKey }).returning();
  if (inserted) return { prompt: inserted, created: true };
  const [existing] = await db.select().from(prompts).where(eq(prompts.contentKey, prompt.contentKey));
  if (!existing) throw new Error(`prompt with content key ${prompt.contentKey} vanished during insert`);
  return { prompt: existing, created: false };
}

export async function findPrompt(db: Db, id: string): Promise<Prompt | undefined> {
  const statement = preparedOnce(db, 'findPrompt', () => db.select().from(prompts).where(eq(prompts.id, sql.placeholder('id'))).prepare('find_prompt'));
  const [row] = await statement.execute({ id });
  return row;
}
