import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { describeChange } from '../queue-table.js';
import { UsageError } from '../usage-error.js';

const options = { json: { type: 'boolean' } } as const;

export const hostCommand: Command = {
  options,
  help: `Usage: cosmos host drain <name> [--json]
       cosmos host undrain <name> [--json]

drain: the host finishes the jobs that hold its GPUs and is given no new ones (for maintenance); jobs waiting
for it go to another host that serves them, and a job pinned to it (--host) waits. undrain: it takes new work
again. Each prints what changed; an unknown host is an error naming the configured ones.

Options:
  --json   print {host, paused, drained, changed, running, waiting}

Examples:
  cosmos host drain h100-a
  cosmos queue            # its running jobs go on; nothing new starts there
  cosmos host undrain h100-a`,

  async run(args, ctx, out) {
    const { values, positionals } = parseCommandArgs(args, options);
    const [word, name, ...extra] = positionals;
    if (word !== 'drain' && word !== 'undrain') throw new UsageError('expected drain or undrain');
    if (name === undefined || extra.length > 0) throw new UsageError(`expected one host name after ${word}`);
    const { setHostDrained } = await import('../../queue.js');
    const change = await setHostDrained({ db: ctx.db, config: ctx.config }, name, word === 'drain');
    if (values.json) out.json(change);
    else out.line(describeChange(change, word));
    return 0;
  },
};
