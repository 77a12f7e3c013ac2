import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy, type Client } from '@temporalio/client';
import { ZodError } from 'zod';
import type { Config } from '../config.js';
import { InputError } from '../core/input-error.js';
import type { Db } from '../db/client.js';
import { isEntityId, newRunId } from '../db/ids.js';
import { findPrompt } from '../db/queries/prompts.js';
import { failRun, findRun, insertRun } from '../db/queries/runs.js';
import type { Run } from '../db/schema.js';
import { resolveTransferParams, type TransferParamsInput } from '../models/transfer.js';
import { CosmosGpuHost, CosmosModelType, CosmosPromptId, CosmosRunId, CosmosStatus } from '../workflows/search-attributes.js';
import type { InferenceInput } from '../workflows/types.js';

/** The one module that names workflows and talks to Temporal on behalf of the CLI and the API. */
export interface ClientDeps { db: Db; temporal: Client; config: Config }

export const workflowIdForRun = (runId: string) => `run-${runId}`;

export function webUiLink(config: Config, workflowId: string): string | null {
  const base = config.temporal.ui_url;
  if (!base) return null;
  return `${base.replace(/\/$/, '')}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

export interface StartInferenceRequest { promptId: string; params?: TransferParamsInput; host?: string }

/** Validates everything first, then writes the run row and starts its workflow; bad input changes nothing. */
export async function startInference(deps: ClientDeps, request: StartInferenceRequest): Promise<{ run: Run; workflowId: string }> {
  if (!isEntityId(request.promptId, 'ps')) throw new InputError(`"${request.promptId}" is not a prompt id (ps_ followed by 32 hex digits)`);
  const prompt = await findPrompt(deps.db, request.promptId);
  if (!prompt) throw new InputError(`prompt ${request.promptId} does not exist`);
  const params = parseParams(request.params);
  const host = pickHost(deps.config, request.host);

  const runId = newRunId();
  const workflowId = workflowIdForRun(runId);
  const run = await insertRun(deps.db, {
    id: runId, promptId: prompt.id, modelType: 'transfer', status: 'pending', executionConfig: params, workflowId, gpuHost: host,
  });
  const input: InferenceInput = {
    runId, promptId: prompt.id, promptName: prompt.name, host, timeouts: pipelineTimeouts(deps.config),
  };
  try {
    await deps.temporal.workflow.start('inference', {
      workflowId,
      taskQueue: deps.config.temporal.task_queue,
      args: [input],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: [
        { key: CosmosRunId, value: runId },
        { key: CosmosPromptId, value: prompt.id },
        { key: CosmosModelType, value: 'transfer' },
        { key: CosmosStatus, value: 'pending' },
        { key: CosmosGpuHost, value: host },
      ],
      staticSummary: `transfer · "${prompt.name}" (${prompt.id}) on ${host}`,
      staticDetails: `Prompt: ${prompt.promptText.slice(0, 300)}${prompt.promptText.length > 300 ? '…' : ''}`,
    });
  } catch (error) {
    await failRun(deps.db, runId, { kind: 'internal', message: `could not start the workflow: ${(error as Error).message}` });
    throw error;
  }
  return { run, workflowId };
}

/** Resolves when the run's workflow closes; the run row then holds the outcome. */
export async function waitForRun(deps: ClientDeps, runId: string): Promise<Run> {
  await deps.temporal.workflow.getHandle(workflowIdForRun(runId)).result().catch(() => undefined);
  const run = await findRun(deps.db, runId);
  if (!run) throw new InputError(`run ${runId} does not exist`);
  return run;
}

function parseParams(params: TransferParamsInput | undefined) {
  try {
    return resolveTransferParams(params);
  } catch (error) {
    if (error instanceof ZodError) {
      const issue = error.issues[0];
      throw new InputError(`${issue?.path.join('.') || 'parameters'}: ${issue?.message ?? 'invalid'}`, issue?.path.join('.'));
    }
    throw error;
  }
}

function pickHost(config: Config, requested: string | undefined): string {
  const names = config.hosts.map((h) => h.name);
  if (requested !== undefined) {
    if (!names.includes(requested)) throw new InputError(`GPU host "${requested}" is not configured (known: ${names.join(', ') || 'none'})`);
    return requested;
  }
  const first = names[0];
  if (!first) throw new InputError('no GPU host is configured; add a [[hosts]] entry to cosmos.toml');
  return first;
}

export function pipelineTimeouts(config: Config): InferenceInput['timeouts'] {
  const t = config.temporal;
  return { heartbeat: t.heartbeat_timeout, job: t.job_timeout, retryInitial: t.retry_initial_interval, retryMaximum: t.retry_maximum_interval };
}
