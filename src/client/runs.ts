import type { Client } from '@temporalio/client';
import { ZodError } from 'zod';
import type { Config } from '../config.js';
import { InputError, NotFoundError } from '../core/input-error.js';
import type { Db } from '../db/client.js';
import { isEntityId, newRunId } from '../db/ids.js';
import { findPrompt } from '../db/queries/prompts.js';
import { failRun, findRun, insertRun } from '../db/queries/runs.js';
import type { Prompt, Run } from '../db/schema.js';
import { hostServes } from '../models/index.js';
import type { PipelineInput, PipelineTimeouts, StepSpec } from '../workflows/types.js';
import { asRunColumns, type RunFields } from './run-fields.js';
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

/** Resolves when the run's workflow closes; the run row then holds the outcome. */
export async function waitForRun(deps: ClientDeps, runId: string): Promise<Run> {
  const run = await findRun(deps.db, runId);
  if (!run) throw new NotFoundError(`run ${runId} does not exist`);
  await deps.temporal.workflow.getHandle(run.workflowId ?? workflowIdForRun(runId)).result().catch(() => undefined);
  return (await findRun(deps.db, runId))!;
}

export interface PipelineStart {
  prompt: Prompt;
  /** `--host`; absent, each step takes the first free GPU slot on any host that serves it. */
  host?: string;
  modelType: string;
  executionConfig: Record<string, unknown>;
  parentRunId?: string;
  /** The failed or cancelled run this one retries (`cosmos retry`). */
  retryOfRunId?: string;
  /** Steps after the first. */
  then?: StepSpec[];
  fields?: RunFields;
}

/** Writes the run row, then starts its workflow; a workflow that cannot start leaves the run failed, not pending. */
export async function startPipeline(deps: ClientDeps, start: PipelineStart): Promise<{ run: Run; workflowId: string }> {
  const runId = newRunId();
  const workflowId = workflowIdForRun(runId);
  const run = await insertRun(deps.db, {
    id: runId, promptId: start.prompt.id, modelType: start.modelType, status: 'pending', executionConfig: start.executionConfig,
    workflowId, ...(start.host ? { gpuHost: start.host } : {}), ...(start.parentRunId ? { parentRunId: start.parentRunId } : {}),
    ...(start.retryOfRunId ? { retryOfRunId: start.retryOfRunId } : {}), ...asRunColumns(start.fields ?? {}),
  });
  const input: PipelineInput = {
    runId, modelType: start.modelType, promptId: start.prompt.id, promptName: start.prompt.name, ...(start.host ? { host: start.host } : {}),
    timeouts: pipelineTimeouts(deps.config), ...(start.then?.length ? { then: start.then } : {}),
  };
  const steps = [start.modelType, ...(start.then ?? []).map((s) => s.modelType)].join(' → ');
  try {
    await startWorkflow(deps.temporal, deps.config, {
      workflowType: 'runModel', workflowId, input, runId, promptId: start.prompt.id, modelType: start.modelType, ...(start.host ? { host: start.host } : {}),
      summary: `${steps} · "${start.prompt.name}" (${start.prompt.id}) on ${start.host ?? 'any host that serves it'}${start.retryOfRunId ? ` · retry of ${start.retryOfRunId}` : ''}`,
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

/**
 * The requested host, checked (configured, and serving every model type), or undefined: then the run is not bound
 * to a host until a GPU slot frees on one (at least one configured host must serve the model types).
 */
export function pinHost(deps: ClientDeps, requested: string | undefined, modelTypes: string[] = []): string | undefined {
  const names = deps.config.hosts.map((h) => h.name);
  const serving = deps.config.hosts.filter((h) => modelTypes.every((m) => hostServes(h, m))).map((h) => h.name);
  if (requested !== undefined) {
    if (!names.includes(requested)) throw new InputError(`GPU host "${requested}" is not configured (known: ${names.join(', ') || 'none'})`);
    if (!serving.includes(requested)) {
      throw new InputError(`GPU host "${requested}" does not serve ${modelTypes.join(' and ')} (hosts that do: ${serving.join(', ') || 'none'}; see [hosts.models] in cosmos.toml)`);
    }
    return requested;
  }
  if (names.length === 0) throw new InputError('no GPU host is configured; add a [[hosts]] entry to cosmos.toml');
  if (serving.length === 0) throw new InputError(`no configured GPU host serves ${modelTypes.join(' and ')}; add it to a host's [hosts.models] in cosmos.toml`);
  return undefined;
}

export function pipelineTimeouts(config: Config): PipelineTimeouts {
  const t = config.temporal;
  return { heartbeat: t.heartbeat_timeout, job: t.job_timeout, retryInitial: t.retry_initial_interval, retryMaximum: t.retry_maximum_interval };
}

export { cancelWork } from './cancel.js';
export { getBatch, startBatch, type StartBatchRequest } from './batches.js';
export { planRun } from './plan.js';
export { retryRun, type RetryRunRequest } from './retry.js';
export { startEnhance, startInference, startRun, startUpscale, type StartInferenceRequest, type StartRunRequest } from './start-run.js';
