import type { Batch, Run } from '../../../db/schema.js';
import type { CliContext } from '../context.js';
import { followWorkflow } from '../follow-run.js';
import type { Output } from '../output.js';
import { webUiLinkFor } from '../web-ui.js';
import { printRun } from './show.js';

/** Prints a started run (id, host, Web UI link) and, with --wait, follows its pipeline to the end. */
export async function reportStarted(
  ctx: CliContext, out: Output, started: { run: Run; workflowId: string }, options: { wait: boolean; json: boolean },
): Promise<number> {
  const { run, workflowId } = started;
  const webUi = await webUiLinkFor(ctx.config, { workflowId });
  if (!options.json) out.line(`started ${out.bold(run.id)} (${run.modelType}) on ${run.gpuHost}${webUi ? `\n  ${webUi}` : ''}`);
  if (!options.wait) {
    if (options.json) out.json({ run, workflowId, webUi });
    return 0;
  }
  const runs = await followWorkflow(ctx, out, workflowId, { quiet: options.json });
  // The pipeline's last run holds its result (the inference after an enhance, the upscale after an inference).
  const last = runs.at(-1) ?? run;
  if (options.json) out.json({ run: last, runs, workflowId, webUi });
  else for (const each of runs) await printRun(each, ctx, out);
  return runs.length > 0 && runs.every((each) => each.status === 'completed') ? 0 : 1;
}

/** Prints a started batch and its runs and, with --wait, follows all of them; exit 1 if any did not complete. */
export async function reportBatch(
  ctx: CliContext, out: Output, started: { batch: Batch; runs: Run[]; workflowId: string }, options: { wait: boolean; json: boolean },
): Promise<number> {
  const { batch, workflowId } = started;
  const webUi = await webUiLinkFor(ctx.config, { workflowId });
  if (!options.json) {
    out.line(`started batch ${out.bold(batch.id)} with ${started.runs.length} runs${webUi ? `\n  ${webUi}` : ''}`);
    for (const run of started.runs) out.line(`  #${run.batchIndex} ${run.id} ${run.promptId}`);
  }
  if (!options.wait) {
    if (options.json) out.json({ batch, runs: started.runs, workflowId, webUi });
    return 0;
  }
  const runs = await followWorkflow(ctx, out, workflowId, { quiet: options.json });
  if (options.json) out.json({ batch, runs, workflowId, webUi });
  else for (const run of runs) out.line(`  #${run.batchIndex} ${run.id} ${run.status}${run.failureKind ? ` (${run.failureKind})` : ''}`);
  return runs.every((run) => run.status === 'completed') ? 0 : 1;
}
