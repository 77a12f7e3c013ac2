import type { Run } from '../../../db/schema.js';
import type { CliContext } from '../context.js';
import { followRuns } from '../follow-run.js';
import type { Output } from '../output.js';
import { webUiLinkFor } from '../web-ui.js';
import { printRun } from './show.js';

/** Prints a started run (id, host, Web UI link) and, with --wait, follows it to the end. */
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
  const [finished] = await followRuns(ctx, out, [run.id], { quiet: options.json });
  if (options.json) out.json({ run: finished, workflowId, webUi });
  else await printRun(finished!, ctx, out);
  return finished!.status === 'completed' ? 0 : 1;
}
