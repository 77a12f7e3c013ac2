import { z } from 'zod';
import type { NewRun, Run } from '../db/schema.js';

/**
 * Fields of a run that are not its model's parameters. Each one declared here is, by its key, an optional body key
 * of `POST /runs` and `POST /batches`, a `cosmos run` flag (`--<key>` with `_` as `-`), and the column of that name
 * in `runs` (src/db/schema.ts), written when the run is created. A field is one line here and its column.
 */
const priorityRange = 'a whole number from -100 to 100';

export const runFieldsSchema = z.object({
  priority: z.number({ error: priorityRange }).int(priorityRange).min(-100, priorityRange).max(100, priorityRange).optional()
    .describe('higher goes first in the GPU queue; equal priorities go in submission order (default 0)'),
}).strict();

export type RunFields = z.infer<typeof runFieldsSchema>;

/** Every field must be a column of the run row. */
export const asRunColumns = (fields: RunFields): Partial<NewRun> => fields satisfies Partial<NewRun>;

/** The fields a run was started with (a retry keeps them unless it is given others). */
export function runFieldsOf(run: Run): RunFields {
  return Object.fromEntries(Object.keys(runFieldsSchema.shape).map((key) => [key, run[key as keyof Run]]).filter(([, value]) => value !== null)) as RunFields;
}

/** A request body's run fields apart from the rest of it. */
export function takeRunFields<B extends Record<string, unknown>>(body: B): { fields: RunFields; rest: B } {
  const keys = new Set(Object.keys(runFieldsSchema.shape));
  const fields = Object.fromEntries(Object.entries(body).filter(([key]) => keys.has(key))) as RunFields;
  const rest = Object.fromEntries(Object.entries(body).filter(([key]) => !keys.has(key))) as B;
  return { fields, rest };
}
