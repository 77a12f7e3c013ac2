import { InputError, NotFoundError } from '../core/input-error.js';
import { isEntityId } from '../db/ids.js';
import { findRun } from '../db/queries/runs.js';
import type { Run } from '../db/schema.js';
import { findModelType, type ModelType } from '../models/index.js';
import type { StepSpec } from '../workflows/types.js';
import { runFieldsSchema, type RunFields } from './run-fields.js';
import { parse, pinHost, requirePrompt, startPipeline, type ClientDeps, type PipelineStart } from './runs.js';

export interface StartRunRequest {
  modelType: string;
  /** The prompt a prompt-based model runs on. */
  promptId?: string;
  /** The completed run a run-based model (an upscale) works on. */
  sourceRunId?: string;
  params?: Record<string, unknown>;
  host?: string;
  /** Steps after this one, each on what the one before produced (a new prompt, or its run). */
  then?: { modelType: string; params?: Record<string, unknown> }[];
  retryOfRunId?: string;
  /** The run's own fields (src/client/run-fields.ts). */
  fields?: RunFields;
}

/** Everything checked and resolved, nothing written: what startRun would start (also for --dry-run and retries). */
export async function resolveRunStart(deps: ClientDeps, request: StartRunRequest): Promise<PipelineStart> {
  const model = findModelType(request.modelType);
  const executionConfig = parse(model.resolveParams, request.params ?? {});
  let source: Run | undefined;
  if (model.startsFrom === 'prompt') {
    if (request.promptId === undefined) throw new InputError(`a ${model.name} run starts from a prompt: give a prompt id`, 'promptId');
    if (request.sourceRunId !== undefined) throw new InputError(`a ${model.name} run starts from a prompt, not from a run`, 'sourceRunId');
  } else {
    if (request.sourceRunId === undefined) throw new InputError(`a ${model.name} run works on a completed ${model.startsFrom.runOf.join(' or ')} run: give its run id`, 'sourceRunId');
    source = await requireSourceRun(deps, model, request.sourceRunId, model.startsFrom.runOf);
  }
  const prompt = await requirePrompt(deps.db, source?.promptId ?? request.promptId!);
  model.checkPrompt?.(prompt, executionConfig);
  const then: StepSpec[] = [];
  let previous = model;
  for (const [i, step] of (request.then ?? []).entries()) {
    const next = findModelType(step.modelType);
    const params = parse((input: Record<string, unknown>) => next.resolveParams(input), step.params ?? {});
    if (next.startsFrom !== 'prompt' && !next.startsFrom.runOf.includes(previous.name)) {
      throw new InputError(`step ${i + 2} (${next.name}) works on a ${next.startsFrom.runOf.join(' or ')} run, not on the ${previous.name} run before it`);
    }
    then.push({ modelType: next.name, params, from: next.startsFrom === 'prompt' ? 'prompt' : 'run' });
    previous = next;
  }
  const host = pinHost(deps, request.host, [model.name, ...then.map((s) => s.modelType)]);
  return {
    prompt, ...(host ? { host } : {}), modelType: model.name, executionConfig, then, fields: parse((input: unknown) => runFieldsSchema.parse(input), request.fields ?? {}),
    ...(source ? { parentRunId: source.id } : {}), ...(request.retryOfRunId ? { retryOfRunId: request.retryOfRunId } : {}),
  };
}

/** The one entry for every model type: validates everything first, then writes the run row and starts its workflow. */
export async function startRun(deps: ClientDeps, request: StartRunRequest): Promise<{ run: Run; workflowId: string }> {
  return startPipeline(deps, await resolveRunStart(deps, request));
}

async function requireSourceRun(deps: ClientDeps, model: ModelType, runId: string, runOf: string[]): Promise<Run> {
  if (!isEntityId(runId, 'rs')) throw new InputError(`"${runId}" is not a run id (rs_ followed by 32 hex digits)`);
  const source = await findRun(deps.db, runId);
  if (!source) throw new NotFoundError(`run ${runId} does not exist`);
  if (!runOf.includes(source.modelType) || source.status !== 'completed') {
    throw new InputError(`run ${source.id} is a ${source.status} ${source.modelType} run; only a completed ${runOf.join(' or ')} run can be ${model.name.replace(/e$/, '')}ed`);
  }
  return source;
}

// The commands and routes that came before `cosmos run` / `POST /runs {modelType}`: each is one startRun.

export interface StartInferenceRequest {
  promptId: string;
  params?: Record<string, unknown>;
  host?: string;
  /** Enhance the prompt first, then run inference on the enhanced prompt. */
  enhance?: boolean;
  /** Upscale the output to 4K afterwards. */
  upscale?: { weight?: number };
  fields?: RunFields;
}

export function startInference(deps: ClientDeps, request: StartInferenceRequest) {
  const shared = { ...(request.host !== undefined ? { host: request.host } : {}), ...(request.fields ? { fields: request.fields } : {}) };
  const transfer = { modelType: 'transfer', ...(request.params ? { params: request.params } : {}) };
  const upscale = request.upscale ? [{ modelType: 'upscale', params: request.upscale.weight !== undefined ? { control_weight: request.upscale.weight } : {} }] : [];
  if (request.enhance) return startRun(deps, { modelType: 'enhance', promptId: request.promptId, ...shared, then: [transfer, ...upscale] });
  return startRun(deps, { ...transfer, promptId: request.promptId, ...shared, then: upscale });
}

export function startEnhance(deps: ClientDeps, request: { promptId: string; host?: string; fields?: RunFields }) {
  return startRun(deps, { modelType: 'enhance', ...request });
}

export function startUpscale(deps: ClientDeps, request: { runId: string; weight?: number; prompt?: string; host?: string; fields?: RunFields }) {
  return startRun(deps, {
    modelType: 'upscale', sourceRunId: request.runId, ...(request.host !== undefined ? { host: request.host } : {}), ...(request.fields ? { fields: request.fields } : {}),
    params: { ...(request.weight !== undefined ? { control_weight: request.weight } : {}), ...(request.prompt !== undefined ? { prompt: request.prompt } : {}) },
  });
}
