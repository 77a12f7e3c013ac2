import { z } from 'zod';
import type { NewRun } from '../db/schema.js';

/**
 * Fields of a run that are not its model's parameters. Each one declared here is, by its key, an optional body key
 * of `POST /runs` and `POST /batches`, a `cosmos run` flag (`--<key>` with `_` as `-`), and the column of that name
 * in `runs` (src/db/schema.ts), written when the run is created. None yet: a field is one line here and its column.
 */
export const runFieldsSchema = z.object({}).strict();

export type RunFields = z.infer<typeof runFieldsSchema>;

/** Every field must be a column of the run row. */
export const asRunColumns = (fields: RunFields): Partial<NewRun> => fields satisfies Partial<NewRun>;

/** A request body's run fields apart from the rest of it. */
export function takeRunFields<B extends Record<string, unknown>>(body: B): { fields: RunFields; rest: B } {
  const keys = new Set(Object.keys(runFieldsSchema.shape));
  const fields = Object.fromEntries(Object.entries(body).filter(([key]) => keys.has(key))) as RunFields;
  const rest = Object.fromEntries(Object.entries(body).filter(([key]) => !keys.has(key))) as B;
  return { fields, rest };
}
