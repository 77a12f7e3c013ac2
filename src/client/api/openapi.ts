import { z } from 'zod';
import { sessionBody } from './auth.js';
import {
  analyticsQuery, createPromptBody, enhanceBody, listPromptsQuery, listRunsQuery, queueControlBody, queueControlQuery, rateBody, retryBody, searchQuery,
  startBatchBody, startModelBatchBody, startModelRunBody, startRunBody, upscaleBody,
} from './schemas.js';
import { listModelTypes } from '../../models/index.js';

type Schema = z.ZodType;
interface Operation { summary: string; body?: Schema | Schema[]; bodyOptional?: boolean; query?: z.ZodObject; ok?: number; produces?: string; errors?: number[] }

const jsonSchema = (schema: Schema) => z.toJSONSchema(schema, { io: 'input', target: 'openapi-3.0', unrepresentable: 'any' });

const errorBody = {
  type: 'object', required: ['error'],
  properties: {
    error: {
      type: 'object', required: ['code', 'message'],
      properties: {
        code: { type: 'string' }, message: { type: 'string' },
        fields: { type: 'object', additionalProperties: { type: 'string' }, description: 'field path → what is wrong with it' },
      },
    },
  },
};

/** One shape, or several (POST /runs takes the generic `{modelType, …}` body and the older transfer one). */
function bodySchema(body: Schema | Schema[]) {
  return Array.isArray(body) ? { oneOf: body.map(jsonSchema) } : jsonSchema(body);
}

/** Each model type's parameters as the model checks them, for `params` of a generic start. */
function modelParamSchemas() {
  return Object.fromEntries(listModelTypes().map((model) => [`Params.${model.name}`, {
    ...jsonSchema(model.params), description: `${model.summary}. Every field is optional: the model's defaults fill the rest (${JSON.stringify(model.defaults)}).`,
  }]));
}

function operation(path: string, op: Operation) {
  const pathParams = [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
  const queryParams = op.query
    ? Object.entries(op.query.shape).map(([name, field]) => ({
      name, in: 'query', required: !(field as Schema).safeParse(undefined).success, schema: jsonSchema(field as Schema),
    }))
    : [];
  const responses: Record<string, unknown> = {
    [op.ok ?? 200]: { description: 'success', content: { [op.produces ?? 'application/json']: {} } },
  };
  for (const status of [401, ...(op.errors ?? [])]) {
    responses[status] = { description: statusText[status] ?? 'error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  }
  return {
    summary: op.summary,
    ...(pathParams.length + queryParams.length ? { parameters: [...pathParams, ...queryParams] } : {}),
    ...(op.body ? { requestBody: { required: !op.bodyOptional, content: { 'application/json': { schema: bodySchema(op.body) } } } } : {}),
    responses,
  };
}

const statusText: Record<number, string> = {
  400: 'invalid request (fields names each bad field)', 401: 'missing or wrong bearer token', 404: 'unknown id or file',
  409: 'the recorded file changed since it was recorded', 413: 'body too large', 415: 'body is not exactly application/json',
  416: 'range not satisfiable', 503: 'too many event streams open',
};

const spec: Record<string, Record<string, Operation>> = {
  '/health': { get: { summary: 'ok or not ok without credentials; which of Postgres and Temporal answers with them', errors: [] } },
  '/session': {
    post: { summary: 'Trade the token once for the gallery\'s HttpOnly, SameSite=Strict session cookie (204)', body: sessionBody, ok: 204, errors: [400, 415] },
    delete: { summary: 'Drop the session cookie (204)', ok: 204, errors: [] },
  },
  '/prompts': {
    post: { summary: 'Create a prompt from text and a video directory on the server (200 if it already exists)', body: createPromptBody, ok: 201, errors: [400, 413, 415] },
    get: { summary: 'List prompts, newest first', query: listPromptsQuery, errors: [400] },
  },
  '/prompts/search': { get: { summary: 'Search prompts (text, name, id) and runs (id)', query: searchQuery, errors: [400] } },
  '/prompts/{id}': { get: { summary: 'A prompt with its runs', errors: [404] } },
  '/prompts/{id}/inputs/{role}': { get: { summary: 'An input video of the prompt (video, depth, seg); Range supported', produces: 'video/mp4', errors: [404, 409, 416] } },
  '/prompts/{id}/inputs/{role}/poster': { get: { summary: 'The poster frame (JPEG) of an input video', produces: 'image/jpeg', errors: [404, 409] } },
  '/prompts/{id}/enhance': { post: { summary: 'Start an enhance run (prompt upsampler)', body: enhanceBody, ok: 201, errors: [400, 404] } },
  '/runs': {
    post: {
      summary: 'Start a run of any model type ({modelType, promptId | sourceRunId, params, then}; params per components Params.<modelType>), or the older transfer body (optionally enhance first / upscale after)',
      body: [startModelRunBody, startRunBody], ok: 201, errors: [400, 413, 415],
    },
    get: { summary: 'List runs with filters, newest first', query: listRunsQuery, errors: [400] },
  },
  '/runs/{id}': { get: { summary: 'A run with stage, progress, files, failure hint and Web UI link (?events=1 adds its events)', errors: [404] } },
  '/runs/{id}/cancel': { post: { summary: 'Cancel a pending or running run', ok: 202, errors: [400, 404] } },
  '/runs/{id}/rating': { put: { summary: 'Rate a completed run from 1 to 5', body: rateBody, errors: [400, 404] } },
  '/runs/{id}/upscale': { post: { summary: 'Start a 4K upscale of a completed run', body: upscaleBody, ok: 201, errors: [400, 404] } },
  '/runs/{id}/retry': {
    post: {
      summary: 'Start a new run of a failed or cancelled run (same prompt and configuration, same host unless host is given), linked by retryOfRunId',
      body: retryBody, ok: 201, errors: [400, 404, 413, 415],
    },
  },
  '/runs/{id}/events': {
    get: {
      summary: 'Server-Sent Events: status, progress, log and a final end event; resumable with Last-Event-ID',
      produces: 'text/event-stream', errors: [400, 404, 503],
    },
  },
  '/runs/{id}/files/{name}': { get: { summary: 'An output file of the run; Range supported', produces: 'application/octet-stream', errors: [404, 409, 416] } },
  '/batches': { post: { summary: 'Start a batch of one model type over several prompts (transfer by default)', body: [startBatchBody, startModelBatchBody], ok: 201, errors: [400, 413, 415] } },
  '/batches/{id}': { get: { summary: 'A batch with its runs', errors: [404] } },
  '/batches/{id}/cancel': { post: { summary: 'Cancel every open run of a batch', ok: 202, errors: [400, 404] } },
  '/hosts': { get: { summary: 'GPU hosts: GPUs (nvidia-smi), our containers, orphans and zombie runs', errors: [] } },
  '/hosts/{name}/drain': { post: { summary: 'Drain a host: the jobs holding its GPUs finish, no new job starts there ({host, paused, drained, changed, running, waiting})', errors: [400, 404] } },
  '/hosts/{name}/undrain': { post: { summary: 'Undrain a host: it takes new work again', errors: [400, 404] } },
  '/queue': { get: { summary: 'The GPU queue: running jobs (host, devices, elapsed, estimated remaining) and waiting jobs in order (position, priority, waited, waiting for, estimated start)', errors: [400] } },
  '/queue/pause': { post: { summary: 'Pause the whole queue, or one host (host in the body or the query): no new GPU leases, running jobs go on', body: queueControlBody, bodyOptional: true, query: queueControlQuery, errors: [400, 415] } },
  '/queue/resume': { post: { summary: 'Resume the whole queue, or one host', body: queueControlBody, bodyOptional: true, query: queueControlQuery, errors: [400, 415] } },
  '/analytics': { get: { summary: 'Success rate by model type, mean/median duration, runs per day, GPU-hours, failure kinds', query: analyticsQuery, errors: [400] } },
};

/** The OpenAPI 3.0 document, built from the same zod schemas the routes validate with. */
export function buildOpenApiDocument() {
  const paths = Object.fromEntries(Object.entries(spec).map(([path, methods]) => [
    path, Object.fromEntries(Object.entries(methods).map(([method, op]) => [method, operation(path, op)])),
  ]));
  return {
    openapi: '3.0.3',
    info: { title: 'cosmos-workflow API', version: '0.1.0', description: 'Prompts, runs and batches of Cosmos video jobs on GPU hosts.' },
    components: {
      schemas: { Error: errorBody, ...modelParamSchemas() },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'the [api] token, or the one cosmos dev / cosmos api made in <data_dir>/api-token' },
        session: { type: 'apiKey', in: 'cookie', name: 'cosmos_session_<12 hex>', description: 'from POST /session; this site\'s own pages only' },
      },
    },
    security: [{ bearer: [] }, { session: [] }],
    paths,
  };
}
