import { setTimeout as sleep } from 'node:timers/promises';
import { findRun } from '../../db/queries/runs.js';
import type { Run } from '../../db/schema.js';
import type { CliContext } from './context.js';
import { createProgressBar, type Output } from './output.js';

const pollMs = 500;
const isFinished = (run: Run) => run.status === 'completed' || run.status === 'failed' || run.status === 'cancelled';

/**
 * Follows runs until all have ended, with a progress bar (stage, percent) on stderr unless quiet.
 * A pipeline that makes a follow-up run (enhance → inference, inference → upscale) is followed into it.
 */
export async function followRuns(ctx: CliContext, out: Output, runIds: string[], options: { quiet: boolean }): Promise<Run[]> {
  const bar = options.quiet ? null : createProgressBar(out);
  for (;;) {
    const runs = await Promise.all(runIds.map(async (id) => {
      const run = await findRun(ctx.db, id);
      if (!run) throw new Error(`run ${id} disappeared while it was followed`);
      return run;
    }));
    const done = runs.filter(isFinished).length;
    const progress = runs.reduce((sum, run) => sum + (isFinished(run) ? 1 : run.progress), 0) / runs.length;
    const first = runs[0]!;
    const label = runs.length === 1
      ? (first.status === 'running' ? `${first.modelType}: ${first.stage ?? 'running'}` : `${first.modelType}: ${first.status}`)
      : `${done}/${runs.length} runs done`;
    bar?.update(label, progress);
    if (done === runs.length) {
      bar?.finish();
      return runs;
    }
    await sleep(pollMs);
  }
}
