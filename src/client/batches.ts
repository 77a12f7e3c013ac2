import { InputError, NotFoundError } from '../core/input-error.js';
import { newBatchId, newRunId } from '../db/ids.js';
import { findBatch, insertBatchWithRuns, listBatchRuns, setBatchStatus } from '../db/queries/batches.js';
import { failRun } from '../db/queries/runs.js';
import type { Batch, Run } from '../db/schema.js';
import { resolveTransferParams, type TransferParams, type TransferParamsInput } from '../models/transfer.js';
import type { BatchInput } from '../workflows/types.js';
import { startWorkflow } from './start-workflow.js';
import { parse, pickHost, pipelineTimeouts, requirePrompt, workflowIdForBatch, type ClientDeps } from './runs.js';

export interface StartBatchRequest {
  promptIds: string[];
  params?: TransferParamsInput;
  /** Per-prompt control weights, overriding `params.weights` for that prompt. */
  weights?: Record<string, Partial<TransferParams['weights']>>;
  host?: string;
}

/** Several prompts in one container: one batch row, one run per prompt (with its index), one workflow. */
export async function startBatch(deps: ClientDeps, request: StartBatchRequest): Promise<{ batch: Batch; runs: Run[]; workflowId: string }> {
  if (request.promptIds.length === 0) throw new InputError('a batch needs at least one prompt id');
  const duplicate = request.promptIds.find((id, i) => request.promptIds.indexOf(id) !== i);
  if (duplicate) throw new InputError(`prompt ${duplicate} appears twice in the batch`);
  const prompts = [];
  for (const id of request.promptIds) prompts.push(await requirePrompt(deps.db, id));
  const unknown = Object.keys(request.weights ?? {}).find((id) => !request.promptIds.includes(id));
  if (unknown) throw new InputError(`weights are given for ${unknown}, which is not in the batch`);
  const configs = prompts.map((prompt) => parse(resolveTransferParams, {
    ...request.params, weights: { ...request.params?.weights, ...request.weights?.[prompt.id] },
  }));
  const host = await pickHost(deps, request.host);

  const batchId = newBatchId();
  const workflowId = workflowIdForBatch(batchId);
  const { batch, runs } = await insertBatchWithRuns(deps.db, { id: batchId, options: { host, params: request.params ?? {} } },
    prompts.map((prompt, i) => ({
      id: newRunId(), promptId: prompt.id, modelType: 'transfer', status: 'pending' as const, executionConfig: configs[i]!,
      batchId, batchIndex: i, workflowId, gpuHost: host,
    })));
  const input: BatchInput = { batchId, runIds: runs.map((r) => r.id), host, timeouts: pipelineTimeouts(deps.config) };
  await startWorkflow(deps.temporal, deps.config, {
    workflowType: 'batchInference', workflowId, input, runId: runs[0]!.id, promptId: prompts[0]!.id, modelType: 'transfer', host,
    summary: `batch of ${runs.length} · ${prompts.map((p) => `"${p.name}"`).slice(0, 4).join(', ')}${prompts.length > 4 ? ', …' : ''} on ${host}`,
  }).catch(async (error: unknown) => {
    const message = `could not start the workflow: ${(error as Error).message}`;
    for (const run of runs) await failRun(deps.db, run.id, { kind: 'internal', message });
    await setBatchStatus(deps.db, batchId, 'failed');
    throw error;
  });
  return { batch, runs, workflowId };
}

export async function getBatch(deps: Pick<ClientDeps, 'db'>, batchId: string): Promise<{ batch: Batch; runs: Run[] }> {
  const batch = await findBatch(deps.db, batchId);
  if (!batch) throw new NotFoundError(`batch ${batchId} does not exist`);
  return { batch, runs: await listBatchRuns(deps.db, batchId) };
}
