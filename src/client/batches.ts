import { InputError, NotFoundError } from '../core/input-error.js';
import { newBatchId, newRunId } from '../db/ids.js';
import { findBatch, insertBatchWithRuns, listBatchRuns, setBatchStatus } from '../db/queries/batches.js';
import { failRun } from '../db/queries/runs.js';
import type { Batch, Run } from '../db/schema.js';
import { findModelType, type ModelType } from '../models/index.js';
import type { BatchInput } from '../workflows/types.js';
import { asRunColumns, runFieldsSchema, type RunFields } from './run-fields.js';
import { startWorkflow } from './start-workflow.js';
import { parse, pinHost, pipelineTimeouts, requirePrompt, workflowIdForBatch, type ClientDeps } from './runs.js';

export interface StartBatchRequest {
  /** Any model type that starts from a prompt; `transfer` by default. */
  modelType?: string;
  promptIds: string[];
  params?: Record<string, unknown>;
  /** Per-prompt control weights, overriding `params.weights` for that prompt. */
  weights?: Record<string, Record<string, unknown>>;
  host?: string;
  fields?: RunFields;
}

/** Several prompts of one model type: one batch row, one run per prompt (with its index), one workflow. */
export async function startBatch(deps: ClientDeps, request: StartBatchRequest): Promise<{ batch: Batch; runs: Run[]; workflowId: string }> {
  const model = findModelType(request.modelType ?? 'transfer');
  if (model.startsFrom !== 'prompt') throw new InputError(`a batch runs prompts; ${model.name} works on runs`);
  if (request.promptIds.length === 0) throw new InputError('a batch needs at least one prompt id');
  const duplicate = request.promptIds.find((id, i) => request.promptIds.indexOf(id) !== i);
  if (duplicate) throw new InputError(`prompt ${duplicate} appears twice in the batch`);
  const prompts = [];
  for (const id of request.promptIds) prompts.push(await requirePrompt(deps.db, id));
  const unknown = Object.keys(request.weights ?? {}).find((id) => !request.promptIds.includes(id));
  if (unknown) throw new InputError(`weights are given for ${unknown}, which is not in the batch`);
  const configs = prompts.map((prompt) => {
    const own = request.weights?.[prompt.id];
    const params = own ? { ...request.params, weights: { ...(request.params?.weights as Record<string, unknown> | undefined), ...own } } : { ...request.params };
    const resolved = parse((input: Record<string, unknown>) => model.resolveParams(input), params);
    model.checkPrompt?.(prompt, resolved);
    return resolved;
  });
  const host = pinHost(deps, request.host, [model.name]);
  const fields = parse((input: unknown) => runFieldsSchema.parse(input), request.fields ?? {});

  const batchId = newBatchId();
  const workflowId = workflowIdForBatch(batchId);
  const { batch, runs } = await insertBatchWithRuns(deps.db, { id: batchId, options: { ...(host ? { host } : {}), modelType: model.name, params: request.params ?? {} } },
    prompts.map((prompt, i) => ({
      id: newRunId(), promptId: prompt.id, modelType: model.name, status: 'pending' as const, executionConfig: configs[i]!,
      batchId, batchIndex: i, workflowId, ...(host ? { gpuHost: host } : {}), ...asRunColumns(fields),
    })));
  const input: BatchInput = {
    batchId, modelType: model.name, runIds: runs.map((r) => r.id), groups: groupForContainers(model, runs), ...(host ? { host } : {}), timeouts: pipelineTimeouts(deps.config),
  };
  await startWorkflow(deps.temporal, deps.config, {
    workflowType: 'runBatch', workflowId, input, runId: runs[0]!.id, promptId: prompts[0]!.id, modelType: model.name, ...(host ? { host } : {}),
    summary: `${model.name} batch of ${runs.length} · ${prompts.map((p) => `"${p.name}"`).slice(0, 4).join(', ')}${prompts.length > 4 ? ', …' : ''} on ${host ?? 'any host that serves it'}`,
  }).catch(async (error: unknown) => {
    const message = `could not start the workflow: ${(error as Error).message}`;
    for (const run of runs) await failRun(deps.db, run.id, { kind: 'internal', message });
    await setBatchStatus(deps.db, batchId, 'failed');
    throw error;
  });
  return { batch, runs, workflowId };
}

/** Runs the model can take in one container: the same batch key, in order, at most its batch size each. */
function groupForContainers(model: ModelType, runs: Run[]): string[][] {
  const byKey = new Map<string, string[]>();
  for (const run of runs) {
    const key = model.batchKey?.(run.executionConfig) ?? run.id;
    byKey.set(key, [...(byKey.get(key) ?? []), run.id]);
  }
  const size = Math.max(1, model.maxItemsPerJob);
  return [...byKey.values()].flatMap((ids) => Array.from({ length: Math.ceil(ids.length / size) }, (_, i) => ids.slice(i * size, (i + 1) * size)));
}

export async function getBatch(deps: Pick<ClientDeps, 'db'>, batchId: string): Promise<{ batch: Batch; runs: Run[] }> {
  const batch = await findBatch(deps.db, batchId);
  if (!batch) throw new NotFoundError(`batch ${batchId} does not exist`);
  return { batch, runs: await listBatchRuns(deps.db, batchId) };
}
