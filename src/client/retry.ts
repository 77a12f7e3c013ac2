import { InputError, NotFoundError } from '../core/input-error.js';
import { isEntityId } from '../db/ids.js';
import { findRun } from '../db/queries/runs.js';
import type { Run } from '../db/schema.js';
import { findModelType } from '../models/index.js';
import { runFieldsOf, type RunFields } from './run-fields.js';
import type { ClientDeps } from './runs.js';
import { startRun } from './start-run.js';

export interface RetryRunRequest {
  runId: string;
  /** Another configured GPU host; by default the run's own host. */
  host?: string;
  /** Over the old run's own fields (its priority is kept unless another is given). */
  fields?: RunFields;
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
  const model = findModelType(source.modelType);
  if (model.startsFrom !== 'prompt') {
    const parent = source.parentRunId ? await findRun(deps.db, source.parentRunId) : undefined;
    if (!parent) throw new InputError(`${model.name} run ${source.id} cannot be retried: its source run ${source.parentRunId ?? '(none)'} no longer exists`);
    if (parent.status !== 'completed') {
      throw new InputError(`${model.name} run ${source.id} cannot be retried: its source run ${parent.id} is ${parent.status}, not completed`);
    }
  }
  const host = request.host;
  return startRun(deps, {
    modelType: model.name, params: source.executionConfig, retryOfRunId: source.id, ...(host !== undefined ? { host } : {}),
    fields: { ...runFieldsOf(source), ...request.fields },
    ...(model.startsFrom === 'prompt' ? { promptId: source.promptId } : { sourceRunId: source.parentRunId! }),
  });
}
