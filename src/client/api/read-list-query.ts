import type { Context } from 'hono';
import { z } from 'zod';
import { ApiError } from './errors.js';
import { readQuery } from './validate.js';

/**
 * `readQuery` for list, search and analytics routes, which also refuses what it would otherwise ignore: a parameter
 * the route does not know (`GET /runs?rating=5`) and one given twice, each a 400 naming the parameter.
 */
/** A route that takes no query parameters refuses any, rather than ignoring a typo. */
export const noQuery = z.object({});

export function readListQuery<S extends z.ZodObject>(c: Context, schema: S): z.infer<S> {
  const known = Object.keys(schema.shape);
  const fields: Record<string, string> = {};
  for (const [name, values] of Object.entries(c.req.queries())) {
    if (!known.includes(name)) fields[name] = `unknown parameter (this route takes ${known.join(', ')})`;
    else if (values.length > 1) fields[name] = 'given more than once';
  }
  if (Object.keys(fields).length > 0) {
    throw new ApiError(400, 'invalid_request', Object.entries(fields).map(([name, message]) => `${name}: ${message}`).join('; '), fields);
  }
  return readQuery(c, schema);
}
