import { rateRun } from '../../../core/rate-run.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { UsageError } from '../usage-error.js';

const options = { json: { type: 'boolean' } } as const;

export const rateCommand: Command = {
  options,
  help: `Usage: cosmos rate <run_id> <1-5> [--json]

Rates a completed run from 1 (worst) to 5 (best); rating again replaces the rating.

Options:
  --json   print {run: {id, rating}}

Example:
  cosmos rate rs_0123… 4`,

  async run(args, ctx, out) {
    const { values, positionals } = parseCommandArgs(args, options);
    const [runId, rating, ...extra] = positionals;
    if (runId === undefined || rating === undefined || extra.length > 0) throw new UsageError('expected <run_id> and a rating from 1 to 5');
    if (!/^[1-5]$/.test(rating)) throw new UsageError(`the rating must be a whole number from 1 to 5, got "${rating}"`);
    const run = await rateRun(ctx.db, runId, Number(rating));
    if (values.json) return out.json({ run: { id: run.id, rating: run.rating } });
    out.line(`rated ${out.bold(run.id)} ${'★'.repeat(run.rating ?? 0)}${'☆'.repeat(5 - (run.rating ?? 0))}`);
  },
};
