import type { Context } from 'hono';
import type { z } from 'zod';
import { ApiError } from './errors.js';
import { readQuery } from './validate.js';

// Any GET may carry the token this way (auth reads it), so it is never an unknown filter.
const alwaysAllowed = new Set(['access_token']);

/**
 * `readQuery` for list, search and analytics routes, which also refuses what it would otherwise ignore: a parameter
 * the route does not know (`GET /runs?rating=5`) and one given twice, each a 400 naming the parameter.
 */
export function readListQuery<S extends z.ZodObject>(c: Context, schema: S): z.infer<S> {
  const known = Object.keys(schema.shape);
  const fields: Record<string, string> = {};
  for (const [name, values] of Object.entries(c.req.queries())) {
    if (alwaysAllowed.has(name)) continue;
    if (!known.includes(name)) fields[name] = `unknown parameter (this route takes ${known.join(', ')})`;
    else if (values.length > 1) fields[name] = 'given more than once';
  }
  if (Object.keys(fields).length > 0) {
    throw new ApiError(400, 'invalid_request', Object.entries(fields).map(([name, message]) => `${name}: ${message}`).join('; '), fields);
  }
  return readQuery(c, schema);
}
