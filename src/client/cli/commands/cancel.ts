import { InputError } from '../../../core/input-error.js';
import { isEntityId } from '../../../db/ids.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { UsageError } from '../usage-error.js';

const options = { json: { type: 'boolean' } } as const;

export const cancelCommand: Command = {
  options,
  help: `Usage: cosmos cancel <run_id|batch_id> [--json]

Cancels a pending or running run, or every unfinished run of a batch: the container is stopped and the
runs are marked cancelled. Finished work cannot be cancelled (exit 1).

Options:
  --json   print {cancelled: [run ids]}

Examples:
  cosmos cancel rs_0123…
  cosmos cancel bt_0123…`,

  async run(args, ctx, out) {
    const { values, positionals } = parseCommandArgs(args, options);
    const [id, ...extra] = positionals;
    if (id === undefined || extra.length > 0) throw new UsageError('expected one run id (rs_…) or batch id (bt_…)');
    if (!isEntityId(id, 'rs') && !isEntityId(id, 'bt')) throw new InputError(`"${id}" is neither a run id (rs_…) nor a batch id (bt_…)`);
    const { cancelWork } = await import('../../runs.js');
    const { cancelled } = await cancelWork({ db: ctx.db, temporal: await ctx.temporal(), config: ctx.config }, id);
    if (values.json) return out.json({ cancelled });
    out.line(`${out.yellow('cancelling')} ${cancelled.join(', ')}`);
  },
};
