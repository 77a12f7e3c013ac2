import type { Client } from '@temporalio/client';
import { ZodError } from 'zod';
import type { Config } from '../config.js';
import { InputError, NotFoundError } from '../core/input-error.js';
import type { Db } from '../db/client.js';
import { isEntityId, newRunId } from '../db/ids.js';
import { findPrompt } from '../db/queries/prompts.js';
import { countOpenRunsByHost, failRun, findRun, insertRun } from '../db/queries/runs.js';
import type { Prompt, Run } from '../db/schema.js';
import { resolveTransferParams, type TransferParamsInput } from '../models/transfer.js';
import { resolveUpscaleParams, type UpscaleParams } from '../models/upscale.js';
import type { PipelineInput, PipelineTimeouts } from '../workflows/types.js';
import { startWorkflow } from './start-workflow.js';

/** The one module that names workflows and starts them on behalf of the CLI and the API. */
export interface ClientDeps { db: Db; temporal: Client; config: Config }

export const workflowIdForRun = (runId: string) => `run-${runId}`;
export const workflowIdForBatch = (batchId: string) => `batch-${batchId}`;

export function webUiLink(config: Config, workflowId: string): string | null {
  const base = config.temporal.ui_url;
  if (!base) return null;
  return `${base.replace(/\/$/, '')}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

export interface StartInferenceRequest {
  promptId: string;
  params?: TransferParamsInput;
  host?: string;
  /** Enhance the prompt first, then run inference on the enhanced prompt. */
  enhance?: boolean;
  /** Upscale the output to 4K afterwards. */
  upscale?: { weight?: number };
}

/** Validates everything first, then writes the run row and starts its workflow; bad input changes nothing. */
export async function startInference(deps: ClientDeps, request: StartInferenceRequest): Promise<{ run: Run; workflowId: string }> {
  if (request.enhance && request.upscale) throw new InputError('--enhance and --upscale cannot be combined in one pipeline yet');
  const prompt = await requirePrompt(deps.db, request.promptId);
  const params = parse(resolveTransferParams, request.params);
  const upscaleParams = request.upscale ? parse(resolveUpscaleParams, { control_weight: request.upscale.weight ?? 0.5 }) : null;
  const host = await pickHost(deps, request.host);
  if (request.enhance) {
    return startPipeline(deps, { prompt, host, modelType: 'enhance', executionConfig: {}, workflowType: 'enhanceThenInference', extra: { inferenceParams: params } });
  }
  if (upscaleParams) {
    return startPipeline(deps, { prompt, host, modelType: 'transfer', executionConfig: params, workflowType: 'inferenceThenUpscale', extra: { upscaleParams } });
  }
  return startPipeline(deps, { prompt, host, modelType: 'transfer', executionConfig: params, workflowType: 'inference' });
}

export async function startEnhance(deps: ClientDeps, request: { promptId: string; host?: string }): Promise<{ run: Run; workflowId: string }> {
  const prompt = await requirePrompt(deps.db, request.promptId);
  const host = await pickHost(deps, request.host);
  return startPipeline(deps, { prompt, host, modelType: 'enhance', executionConfig: {}, workflowType: 'enhance' });
}

export async function startUpscale(
  deps: ClientDeps, request: { runId: string; weight?: number; prompt?: string; host?: string },
): Promise<{ run: Run; workflowId: string }> {
  if (!isEntityId(request.runId, 'rs')) throw new InputError(`"${request.runId}" is not a run id (rs_ followed by 32 hex digits)`);
  const source = await findRun(deps.db, request.runId);
  if (!source) throw new NotFoundError(`run ${request.runId} does not exist`);
  if (source.modelType !== 'transfer' || source.status !== 'completed') {
    throw new InputError(`run ${source.id} is a ${source.status} ${source.modelType} run; only a completed transfer run can be upscaled`);
  }
  const params: UpscaleParams = parse(resolveUpscaleParams, {
    ...(request.weight !== undefined ? { control_weight: request.weight } : {}),
    ...(request.prompt !== undefined ? { prompt: request.prompt } : {}),
  });
  const prompt = await requirePrompt(deps.db, source.promptId);
  const host = await pickHost(deps, request.host ?? source.gpuHost ?? undefined);
  return startPipeline(deps, { prompt, host, modelType: 'upscale', executionConfig: params, workflowType: 'upscale', parentRunId: source.id });
}

/** Resolves when the run's workflow closes; the run row then holds the outcome. */
export async function waitForRun(deps: ClientDeps, runId: string): Promise<Run> {
  const run = await findRun(deps.db, runId);
  if (!run) throw new NotFoundError(`run ${runId} does not exist`);
  await deps.temporal.workflow.getHandle(run.workflowId ?? workflowIdForRun(runId)).result().catch(() => undefined);
  return (await findRun(deps.db, runId))!;
}

export interface PipelineStart {
  prompt: Prompt;
  host: string;
  modelType: string;
  executionConfig: Record<string, unknown>;
  workflowType: string;
  parentRunId?: string;
  /** The failed or cancelled run this one retries (`cosmos retry`). */
  retryOfRunId?: string;
  extra?: Record<string, unknown>;
}

export async function startPipeline(deps: ClientDeps, start: PipelineStart): Promise<{ run: Run; workflowId: string }> {
  const runId = newRunId();
  const workflowId = workflowIdForRun(runId);
  const run = await insertRun(deps.db, {
    id: runId, promptId: start.prompt.id, modelType: start.modelType, status: 'pending', executionConfig: start.executionConfig,
    workflowId, gpuHost: start.host, ...(start.parentRunId ? { parentRunId: start.parentRunId } : {}),
    ...(start.retryOfRunId ? { retryOfRunId: start.retryOfRunId } : {}),
  });
  const input: PipelineInput = {
    runId, promptId: start.prompt.id, promptName: start.prompt.name, host: start.host, timeouts: pipelineTimeouts(deps.config), ...start.extra,
  };
  try {
    await startWorkflow(deps.temporal, deps.config, {
      workflowType: start.workflowType, workflowId, input, runId, promptId: start.prompt.id, modelType: start.modelType, host: start.host,
      summary: `${start.workflowType} · "${start.prompt.name}" (${start.prompt.id}) on ${start.host}${start.retryOfRunId ? ` · retry of ${start.retryOfRunId}` : ''}`,
      details: `Prompt: ${start.prompt.promptText.slice(0, 300)}${start.prompt.promptText.length > 300 ? '…' : ''}`,
    });
  } catch (error) {
    await failRun(deps.db, runId, { kind: 'internal', message: `could not start the workflow: ${(error as Error).message}` });
    throw error;
  }
  return { run, workflowId };
}

export async function requirePrompt(db: Db, promptId: string): Promise<Prompt> {
  if (!isEntityId(promptId, 'ps')) throw new InputError(`"${promptId}" is not a prompt id (ps_ followed by 32 hex digits)`);
  const prompt = await findPrompt(db, promptId);
  if (!prompt) throw new NotFoundError(`prompt ${promptId} does not exist`);
  return prompt;
}

/** Zod errors become one-line input errors naming the field. */
export function parse<I, O>(resolve: (input: I) => O, input: I): O {
  try {
    return resolve(input);
  } catch (error) {
    if (error instanceof ZodError) {
      const issue = error.issues[0];
      const field = issue?.path.join('.');
      throw new InputError(`${field || 'parameters'}: ${issue?.message ?? 'invalid'}`, field);
    }
    throw error;
  }
}

/** The requested host, or the configured host with the fewest open runs (work spreads over hosts). */
export async function pickHost(deps: ClientDeps, requested: string | undefined): Promise<string> {
  const names = deps.config.hosts.map((h) => h.name);
  if (requested !== undefined) {
    if (!names.includes(requested)) throw new InputError(`GPU host "${requested}" is not configured (known: ${names.join(', ') || 'none'})`);
    return requested;
  }
  if (names.length === 0) throw new InputError('no GPU host is configured; add a [[hosts]] entry to cosmos.toml');
  if (names.length === 1) return names[0]!;
  const open = await countOpenRunsByHost(deps.db);
  return names.reduce((best, name) => ((open.get(name) ?? 0) < (open.get(best) ?? 0) ? name : best));
}

export function pipelineTimeouts(config: Config): PipelineTimeouts {
  const t = config.temporal;
  return { heartbeat: t.heartbeat_timeout, job: t.job_timeout, retryInitial: t.retry_initial_interval, retryMaximum: t.retry_maximum_interval };
}


export { cancelWork } from './cancel.js';
export { getBatch, startBatch, type StartBatchRequest } from './batches.js';
export { planInference } from './plan.js';
export { retryRun, type RetryRunRequest } from './retry.js';
