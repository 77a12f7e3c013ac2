import { z } from 'zod';
import { decodeListCursor, decodeSearchCursor } from '../../db/queries/page-cursor.js';
import { runStatuses } from '../../db/schema.js';
import { modelTypeNames } from '../../models/index.js';
import { runFieldsSchema } from '../run-fields.js';
import { transferParamsSchema } from '../../models/transfer-params.js';

const promptId = z.string().regex(/^ps_[0-9a-f]{32}$/, 'a prompt id (ps_ followed by 32 hex digits)');
const runId = z.string().regex(/^rs_[0-9a-f]{32}$/, 'a run id (rs_ followed by 32 hex digits)');
const batchId = z.string().regex(/^bt_[0-9a-f]{32}$/, 'a batch id (bt_ followed by 32 hex digits)');
const hostName = z.string().min(1).max(64);

// Each weight on its own, without the whole-set rule (at least one above 0), which zod's partial() refuses to
// carry; the resolved parameters are checked against the full schema before a run is written.
const partialWeights = z.object(transferParamsSchema.shape.weights.shape).partial().strict();

/** Every transfer parameter optional (the defaults fill the rest), unknown keys rejected. */
export const transferParamsInput = transferParamsSchema
  .extend({ weights: partialWeights })
  .partial()
  .strict();

export const createPromptBody = z.object({
  text: z.string().min(1, 'required'),
  videoDir: z.string().startsWith('/', 'an absolute path on the API server'),
  name: z.string().optional(),
  negativePrompt: z.string().optional(),
}).strict();

export const startRunBody = z.object({
  promptId,
  params: transferParamsInput.optional(),
  host: hostName.optional(),
  enhance: z.boolean().optional(),
  upscale: z.object({ weight: z.number().min(0).max(1).optional() }).strict().optional(),
}).extend(runFieldsSchema.shape).strict();

const modelType = z.string().refine((name) => modelTypeNames().includes(name), { error: () => `one of ${modelTypeNames().join(', ')}` });
// Each model checks its own parameters (bounds, defaults) when the run is started; unknown keys are refused there too.
const modelParams = z.record(z.string(), z.unknown());

/** POST /runs for any model type; `then` chains steps, each on what the one before produced. */
export const startModelRunBody = z.object({
  modelType,
  promptId: promptId.optional(),
  sourceRunId: runId.optional(),
  params: modelParams.optional(),
  then: z.array(z.object({ modelType, params: modelParams.optional() }).strict()).max(4).optional(),
  host: hostName.optional(),
}).extend(runFieldsSchema.shape).strict();

export const enhanceBody = z.object({ host: hostName.optional() }).extend(runFieldsSchema.shape).strict();

export const upscaleBody = z.object({
  weight: z.number().min(0).max(1).optional(),
  // Length (in characters, not UTF-16 units), blank text and lone surrogates are checked with the model's rules.
  prompt: z.string().optional(),
  host: hostName.optional(),
}).extend(runFieldsSchema.shape).strict();

/** The old run's own fields (its priority) are kept unless the body gives others. */
export const retryBody = z.object({ host: hostName.optional() }).extend(runFieldsSchema.shape).strict();

export const startBatchBody = z.object({
  modelType: z.literal('transfer').optional(),
  promptIds: z.array(promptId).min(1).max(100),
  params: transferParamsInput.optional(),
  /** Per-prompt control weights over `params.weights`, keyed by prompt id. */
  weights: z.record(promptId, partialWeights).optional(),
  host: hostName.optional(),
}).extend(runFieldsSchema.shape).strict();

/** A batch of another model type: its parameters are checked by that model when the batch starts. */
export const startModelBatchBody = z.object({
  modelType,
  promptIds: z.array(promptId).min(1).max(100),
  params: modelParams.optional(),
  weights: z.record(promptId, modelParams).optional(),
  host: hostName.optional(),
}).extend(runFieldsSchema.shape).strict();

/** The older body shapes (transfer with named fields) stay as they were; `modelType` picks the generic one. */
export const pickRunBody = (raw: unknown) => (hasKey(raw, 'modelType') ? startModelRunBody : startRunBody);
export const pickBatchBody = (raw: unknown) => (hasKey(raw, 'modelType') && (raw as { modelType: unknown }).modelType !== 'transfer' ? startModelBatchBody : startBatchBody);
const hasKey = (raw: unknown, key: string) => typeof raw === 'object' && raw !== null && key in raw;

/** POST /queue/pause and /queue/resume: one host, in the body or the query; neither is the whole queue. */
export const queueControlBody = z.object({ host: hostName.optional() }).strict();
export const queueControlQuery = z.object({ host: hostName.optional() });

export const rateBody = z.object({ rating: z.number().int().min(1, 'from 1 to 5').max(5, 'from 1 to 5') }).strict();

const limit = z.coerce.number().int().min(1).max(200).default(50);
const cursor = z.string().max(1000).refine((value) => decodeListCursor(value) !== undefined, 'not a nextCursor of an earlier page').optional();
const modelTypeFilter = z.string().regex(/^[a-z0-9_.-]{1,40}$/, 'a model type (transfer, enhance, upscale, …)').optional();
const since = z.iso.datetime({ offset: true, message: 'an ISO 8601 date-time (2024-05-01T00:00:00Z)' }).transform((value) => new Date(value)).optional();

/** List queries: each filter has an index; `cursor` continues after the page that returned it as `nextCursor`. */
export const listRunsQuery = z.object({
  status: z.enum(runStatuses).optional(),
  modelType: modelTypeFilter,
  promptId: promptId.optional(),
  batchId: batchId.optional(),
  host: hostName.optional(),
  since,
  limit,
  cursor,
});

export const listPromptsQuery = z.object({ modelType: modelTypeFilter, since, limit, cursor });

export const searchQuery = z.object({
  q: z.string().min(1, 'required').max(500),
  limit,
  cursor: z.string().max(2000).refine((value) => decodeSearchCursor(value) !== undefined, 'not a nextCursor of an earlier search').optional(),
});

export const analyticsQuery = z.object({ days: z.coerce.number().int().min(1).max(3650).default(30) });

export { runId };
