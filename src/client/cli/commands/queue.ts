import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { describeChange, printQueue } from '../queue-table.js';
import { UsageError } from '../usage-error.js';

const options = { host: { type: 'string' }, json: { type: 'boolean' } } as const;

export const queueCommand: Command = {
  options,
  help: `Usage: cosmos queue [--json]
       cosmos queue pause [--host NAME] [--json]
       cosmos queue resume [--host NAME] [--json]

Without a word: the GPU queue every worker shares. Running jobs (holding GPUs) with their host, GPUs, time
since the lease and an estimate of the time left; then the waiting jobs in the order they get a slot (higher
priority first, then submission order) with their position (1 is next), priority, time waited, what they wait
for, and an estimated start. Estimates are the median container time of recent finished jobs of the same
model type (the same GPU count, item count, input frames and steps when there are enough of those); a job of
a model type that never finished here has none, and neither have the jobs queued behind it on its GPUs.

pause stops new GPU leases, for the whole queue or with --host for one host; running jobs go on. resume
undoes it. Each prints what changed. (To finish a host's work and start nothing new there: cosmos host drain.)

Options:
  --host NAME   pause or resume only this host
  --json        print the report {generatedAt, paused, hosts, running, waiting} (docs/cli.md), or the change
                {host, paused, drained, changed, running, waiting} (host "*" is the whole queue)

Examples:
  cosmos queue
  cosmos queue --json | jq '.waiting[] | {position, jobKey, estimatedStartAt}'
  cosmos queue pause --host h100-a
  cosmos queue resume`,

  async run(args, ctx, out) {
    const { values, positionals } = parseCommandArgs(args, options);
    const [word, ...extra] = positionals;
    if (extra.length > 0 || (word !== undefined && word !== 'pause' && word !== 'resume')) throw new UsageError('expected nothing, pause or resume');
    const queue = await import('../../queue.js');
    const deps = { db: ctx.db, config: ctx.config };
    if (word === undefined) {
      if (values.host !== undefined) throw new UsageError('--host goes with pause or resume');
      const report = await queue.buildQueueReport(deps);
      if (values.json) out.json(report);
      else printQueue(report, out);
      return 0;
    }
    const change = await queue.setQueuePaused(deps, values.host, word === 'pause');
    if (values.json) out.json(change);
    else out.line(describeChange(change, word));
    return 0;
  },
};
