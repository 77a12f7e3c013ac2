import { z } from 'zod';

/** A number within bounds, with messages that say them (the CLI, the API and OpenAPI read the bounds from the schema). */
export const between = ({ min, max }: { min: number; max: number }) => z.number({ error: `must be a number between ${min} and ${max}` })
  .finite(`must be a number between ${min} and ${max}`).min(min, `must be between ${min} and ${max}`).max(max, `must be between ${min} and ${max}`);

export const wholeBetween = (limits: { min: number; max: number }) => between(limits).int(`must be a whole number between ${limits.min} and ${limits.max}`);

export const preset = z.enum(['very_low', 'low', 'medium', 'high', 'very_high']);

/** The defaults under the input (one level of nested objects merged), validated by the full schema. */
export function resolveWithDefaults<P extends Record<string, unknown>>(schema: z.ZodType<P>, defaults: P, input: Record<string, unknown> = {}): P {
  const merged: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    const base = defaults[key];
    merged[key] = isPlainObject(base) && isPlainObject(value) ? { ...base, ...value } : value;
  }
  return schema.parse(merged);
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
