import { setTimeout as sleep } from 'node:timers/promises';
import { listRunsOfWorkflow } from '../../db/queries/maintenance.js';
import type { Run } from '../../db/schema.js';
import type { CliContext } from './context.js';
import { createProgressBar, type Output } from './output.js';

const pollMs = 500;
const isFinished = (run: Run) => run.status === 'completed' || run.status === 'failed' || run.status === 'cancelled';

/**
 * Follows a pipeline until its workflow closes, with a progress bar (step, stage, percent) on stderr unless
 * quiet. Returns every run the pipeline made, so enhance → inference and inference → upscale are followed
 * into their second run, and a batch into all of its runs.
 */
export async function followWorkflow(ctx: CliContext, out: Output, workflowId: string, options: { quiet: boolean }): Promise<Run[]> {
  const bar = options.quiet ? null : createProgressBar(out);
  const client = await ctx.temporal();
  let closed = false;
  void client.workflow.getHandle(workflowId).result().catch(() => undefined).finally(() => { closed = true; });
  for (;;) {
    const ended = closed;
    const runs = await listRunsOfWorkflow(ctx.db, workflowId);
    if (runs.length > 0) bar?.update(...describeProgress(runs));
    if (ended) {
      bar?.finish();
      return runs;
    }
    await sleep(pollMs);
  }
}

function describeProgress(runs: Run[]): [string, number] {
  if (runs.length > 1 && runs.every((run) => run.batchId !== null)) {
    const done = runs.filter(isFinished).length;
    return [`${done}/${runs.length} runs done`, runs.reduce((sum, run) => sum + (isFinished(run) ? 1 : run.progress), 0) / runs.length];
  }
  const current = runs.find((run) => !isFinished(run)) ?? runs.at(-1)!;
  const step = runs.length > 1 ? `step ${runs.indexOf(current) + 1}: ` : '';
  const state = current.status === 'running' ? current.stage ?? 'running' : current.status;
  return [`${step}${current.modelType} ${state}`, isFinished(current) ? 1 : current.progress];
}
