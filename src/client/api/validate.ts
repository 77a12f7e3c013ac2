import type { Context } from 'hono';
import type { z } from 'zod';
import { isEntityId } from '../../db/ids.js';
import { isJsonContentType } from './browser-boundary.js';
import { ApiError, notFound, validationError } from './errors.js';

/** Parses the JSON body (empty = `{}`) against a schema; malformed JSON and schema failures are 400s naming the fields. */
export async function readBody<S extends z.ZodType>(c: Context, schema: S | ((raw: unknown) => S)): Promise<z.infer<S>> {
  const text = await c.req.text();
  let raw: unknown = {};
  if (text.trim() !== '') {
    if (!isJsonContentType(c.req.header('content-type'))) {
      throw new ApiError(415, 'unsupported_media_type', 'send the body as application/json (exactly)');
    }
    try {
      raw = JSON.parse(text);
    } catch {
      throw new ApiError(400, 'invalid_json', 'the body is not valid JSON');
    }
  }
  // A route with two body shapes (POST /runs) picks its schema from the body.
  const parsed = (typeof schema === 'function' ? schema(raw) : schema).safeParse(raw);
  if (!parsed.success) throw validationError(parsed.error);
  return parsed.data;
}

export function readQuery<S extends z.ZodType>(c: Context, schema: S): z.infer<S> {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) throw validationError(parsed.error);
  return parsed.data;
}

/** A path id of the wrong shape is as unknown as a well-formed id that matches nothing. */
export function pathId(c: Context, prefix: 'ps' | 'rs' | 'bt', what: string): string {
  const id = c.req.param('id') ?? '';
  if (!isEntityId(id, prefix)) throw notFound(`${what} ${id}`);
  return id;
}
