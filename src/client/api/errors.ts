import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ZodError } from 'zod';
import { ConfigError } from '../../config.js';
import { InputError, NotFoundError } from '../../core/input-error.js';

/** The one error shape of the API: `{ error: { code, message, fields? } }`. */
export interface ApiErrorBody { error: { code: string; message: string; fields?: Record<string, string> } }

/** Thrown anywhere in a route; `app.onError` turns it into the response. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: ContentfulStatusCode, readonly code: string, message: string, readonly fields?: Record<string, string>,
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} does not exist`);

/** Field-level messages from a zod error, keyed by the dotted path (`params.weights.vis`). */
export function zodFields(error: ZodError): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) fields[issue.path.join('.') || '(body)'] ??= issue.message;
  return fields;
}

export function validationError(error: ZodError): ApiError {
  const fields = zodFields(error);
  const summary = Object.entries(fields).map(([field, message]) => `${field}: ${message}`).join('; ');
  return new ApiError(400, 'invalid_request', summary, fields);
}

function fromInputError(error: InputError): ApiError {
  if (error instanceof NotFoundError) return new ApiError(404, 'not_found', error.message);
  return new ApiError(400, 'invalid_request', error.message, error.field ? { [error.field]: error.message } : undefined);
}

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof InputError) return fromInputError(error);
  if (error instanceof ZodError) return validationError(error);
  if (error instanceof ConfigError) return new ApiError(500, 'config_error', error.message);
  return new ApiError(500, 'internal', 'internal error');
}

export function errorResponse(c: Context, error: ApiError): Response {
  const body: ApiErrorBody = { error: { code: error.code, message: error.message, ...(error.fields ? { fields: error.fields } : {}) } };
  return c.json(body, error.status);
}
