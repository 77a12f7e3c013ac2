import { InputError, NotFoundError } from '../core/input-error.js';
import { isEntityId } from '../db/ids.js';
import { findBatch, listBatchRuns } from '../db/queries/batches.js';
import { findRun } from '../db/queries/runs.js';
import { isOpenRunStatus } from '../db/schema.js';
import { workflowIdForBatch, workflowIdForRun, type ClientDeps } from './runs.js';

const isOpen = isOpenRunStatus;

/**
 * Asks the pipeline driving a run (or a batch) to cancel. The workflow stops the container and marks the runs
 * `cancelled`; this returns at once with the ids that will be cancelled. Finished work is a clear error.
 */
export async function cancelWork(deps: ClientDeps, id: string): Promise<{ cancelled: string[] }> {
  if (isEntityId(id, 'rs')) {
    const run = await findRun(deps.db, id);
    if (!run) throw new NotFoundError(`run ${id} does not exist`);
    if (!isOpen(run.status)) throw new InputError(`run ${id} is already ${run.status}; there is nothing to cancel`);
    await deps.temporal.workflow.getHandle(run.workflowId ?? workflowIdForRun(id)).cancel();
    return { cancelled: [id] };
  }
  if (isEntityId(id, 'bt')) {
    const batch = await findBatch(deps.db, id);
    if (!batch) throw new NotFoundError(`batch ${id} does not exist`);
    const open = (await listBatchRuns(deps.db, id)).filter((run) => isOpen(run.status)).map((run) => run.id);
    if (open.length === 0) throw new InputError(`batch ${id} is already ${batch.status}; there is nothing to cancel`);
    await deps.temporal.workflow.getHandle(workflowIdForBatch(id)).cancel();
    return { cancelled: open };
  }
  throw new InputError(`"${id}" is neither a run id (rs_…) nor a batch id (bt_…)`);
}
