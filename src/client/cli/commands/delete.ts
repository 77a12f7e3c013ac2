import { setTimeout as sleep } from 'node:timers/promises';
import { assertDeletable, executeDeletion, planDeletion, type DeletionPlan } from '../../../core/delete-records.js';
import { findRun } from '../../../db/queries/runs.js';
import { isOpenRunStatus } from '../../../db/schema.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { confirmOrRefuse } from '../confirm.js';
import type { CliContext } from '../context.js';
import { formatStatus } from '../format.js';
import type { Output } from '../output.js';
import { UsageError } from '../usage-error.js';

const options = { yes: { type: 'boolean', short: 'y' }, force: { type: 'boolean' }, 'keep-outputs': { type: 'boolean' }, json: { type: 'boolean' } } as const;

export const deleteCommand: Command = {
  options,
  help: `Usage: cosmos delete prompt|run <id> [--keep-outputs] [--yes] [--force] [--json]

Shows what would be deleted (a prompt takes its runs along; each run's local folder with its outputs,
log and manifest), then asks. Without a terminal, pass --yes. Running work is refused unless --force,
which cancels it first.

Options:
  --keep-outputs   delete the database rows but keep the run folders on disk
  -y, --yes        do not ask
  --force          cancel pending/running runs, then delete them
  --json           print {deleted: plan} (docs/cli.md)

Examples:
  cosmos delete run rs_0123…
  cosmos delete prompt ps_0123… --yes --keep-outputs`,

  async run(args, ctx, out) {
    const { values, positionals } = parseCommandArgs(args, options);
    const [kind, id, ...extra] = positionals;
    if ((kind !== 'prompt' && kind !== 'run') || id === undefined || extra.length > 0) throw new UsageError('expected "prompt <ps_id>" or "run <rs_id>"');
    const plan = await planDeletion(ctx.db, ctx.config.dataDir, { kind, id });
    if (!values.json) printPlan(plan, Boolean(values['keep-outputs']), out);
    assertDeletable(plan, Boolean(values.force));
    if (!await confirmOrRefuse('delete all of this?', Boolean(values.yes))) {
      out.line('nothing deleted');
      return 1;
    }
    if (plan.openRunIds.length > 0) await cancelAndSettle(ctx, plan.openRunIds);
    await executeDeletion(ctx.db, plan, { keepOutputs: Boolean(values['keep-outputs']), force: Boolean(values.force) });
    if (values.json) return out.json({ deleted: plan });
    out.line(`${out.green('deleted')} ${plan.prompts.length} prompt(s), ${plan.runs.length} run(s)${values['keep-outputs'] ? '' : `, ${plan.directories.length} folder(s)`}`);
  },
};

function printPlan(plan: DeletionPlan, keepOutputs: boolean, out: Output): void {
  out.line(out.bold('would delete:'));
  for (const prompt of plan.prompts) out.line(`  prompt ${prompt.id} ${prompt.name}`);
  for (const run of plan.runs) out.line(`  run    ${run.id} ${run.modelType} ${formatStatus(run.status, out)}`);
  for (const dir of plan.directories) out.line(`  folder ${dir}${keepOutputs ? out.dim(' (kept: --keep-outputs)') : ''}`);
}

/** A forced delete cancels first, so the pipeline is not left writing to rows that no longer exist. */
async function cancelAndSettle(ctx: CliContext, runIds: string[]): Promise<void> {
  const { cancelWork } = await import('../../runs.js');
  const deps = { db: ctx.db, temporal: await ctx.temporal(), config: ctx.config };
  const cancelling: string[] = [];
  // A run whose workflow is gone (a zombie) cannot be cancelled; it is deleted as it is.
  for (const id of runIds) if (await cancelWork(deps, id).then(() => true, () => false)) cancelling.push(id);
  const deadline = Date.now() + 30_000;
  while (cancelling.length > 0 && Date.now() < deadline) {
    const runs = await Promise.all(cancelling.map((id) => findRun(ctx.db, id)));
    if (runs.every((run) => !run || !isOpenRunStatus(run.status))) return;
    await sleep(500);
  }
}
