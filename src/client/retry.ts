import { InputError, NotFoundError } from '../core/input-error.js';
import { isEntityId } from '../db/ids.js';
import { findRun } from '../db/queries/runs.js';
import type { Run } from '../db/schema.js';
import { resolveTransferParams, type TransferParamsInput } from '../models/transfer.js';
import { resolveUpscaleParams, type UpscaleParams } from '../models/upscale.js';
import { parse, pickHost, requirePrompt, startPipeline, type ClientDeps, type PipelineStart } from './runs.js';

export interface RetryRunRequest {
  runId: string;
  /** Another configured GPU host; by default the run's own host. */
  host?: string;
}

const retryableStatuses: readonly string[] = ['failed', 'cancelled'];

/**
 * A new run of a failed or cancelled run: the same prompt, model type and execution_config (and, for an
 * upscale, the same source run), linked back through retry_of_run_id. One run is retried on its own: a
 * batch member becomes a single inference, and the second step of a two-step pipeline is not chained again.
 * Everything is checked before the row is written, so a refused retry changes nothing.
 */
export async function retryRun(deps: ClientDeps, request: RetryRunRequest): Promise<{ run: Run; workflowId: string }> {
  if (!isEntityId(request.runId, 'rs')) throw new InputError(`"${request.runId}" is not a run id (rs_ followed by 32 hex digits)`);
  const source = await findRun(deps.db, request.runId);
  if (!source) throw new NotFoundError(`run ${request.runId} does not exist`);
  if (!retryableStatuses.includes(source.status)) {
    const hint = source.status === 'completed' ? '' : ` (cancel it first with \`cosmos cancel ${source.id}\` to start over)`;
    throw new InputError(`run ${source.id} is ${source.status}; only a failed or cancelled run can be retried${hint}`);
  }
  const plan = await planRetry(deps, source);
  const prompt = await requirePrompt(deps.db, source.promptId);
  const host = await pickHost(deps, request.host ?? retryHost(deps, source));
  return startPipeline(deps, { ...plan, prompt, host, retryOfRunId: source.id });
}

type RetryPlan = Pick<PipelineStart, 'modelType' | 'executionConfig' | 'workflowType' | 'parentRunId'>;

async function planRetry(deps: ClientDeps, source: Run): Promise<RetryPlan> {
  switch (source.modelType) {
    case 'transfer':
      return {
        modelType: 'transfer', workflowType: 'inference',
        executionConfig: parse(resolveTransferParams, source.executionConfig as TransferParamsInput),
      };
    case 'enhance':
      return { modelType: 'enhance', workflowType: 'enhance', executionConfig: source.executionConfig };
    case 'upscale': {
      const parent = source.parentRunId ? await findRun(deps.db, source.parentRunId) : undefined;
      if (!parent) throw new InputError(`upscale run ${source.id} cannot be retried: its source run ${source.parentRunId ?? '(none)'} no longer exists`);
      if (parent.status !== 'completed') {
        throw new InputError(`upscale run ${source.id} cannot be retried: its source run ${parent.id} is ${parent.status}, not completed`);
      }
      return {
        modelType: 'upscale', workflowType: 'upscale', parentRunId: parent.id,
        executionConfig: parse(resolveUpscaleParams, source.executionConfig as Partial<UpscaleParams>),
      };
    }
    default:
      throw new InputError(`run ${source.id} is a ${source.modelType} run, which cannot be retried`);
  }
}

/** The run's own host, as long as it is still configured; otherwise the caller has to name one. */
function retryHost(deps: ClientDeps, source: Run): string | undefined {
  if (source.gpuHost === null) return undefined;
  if (deps.config.hosts.some((h) => h.name === source.gpuHost)) return source.gpuHost;
  const known = deps.config.hosts.map((h) => h.name).join(', ') || 'none';
  throw new InputError(`run ${source.id} ran on GPU host "${source.gpuHost}", which is no longer configured; name another host (known: ${known})`);
}
