import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { UsageError } from '../usage-error.js';
import { formatRunFieldFlags, readRunFields, runFieldOptions } from '../run-field-flags.js';
import { reportStarted } from './started-run.js';

const options = { host: { type: 'string' }, wait: { type: 'boolean' }, json: { type: 'boolean' }, ...runFieldOptions() } as const;

export const retryCommand: Command = {
  options,
  help: `Usage: cosmos retry <run_id> [--priority N] [--host NAME] [--wait] [--json]

Starts a new run of a failed or cancelled run: the same prompt, model type and parameters (an upscale:
of the same source run, which must still be completed), linked to the old run (\`cosmos show\` prints
"retry of …"). A run from a batch is retried on its own; an enhance run as an enhance. Pending, running
and completed runs are refused (exit 1) and nothing is started.

Options:
  --host NAME    pin the retry to this GPU host (default: the first free slot on any host that serves it)
  --wait         follow the new run with a progress bar until it ends (exit 1 if it fails)
  --json         print {run, workflowId, webUi}
${formatRunFieldFlags()} (default: the old run's)

Examples:
  cosmos retry rs_0123…
  cosmos retry rs_0123… --host gpu2 --wait`,

  async run(args, ctx, out) {
    const { values, positionals } = parseCommandArgs(args, options);
    const [runId, ...extra] = positionals;
    if (runId === undefined || extra.length > 0) throw new UsageError('expected one run id');
    const { retryRun } = await import('../../runs.js');
    const deps = { db: ctx.db, temporal: await ctx.temporal(), config: ctx.config };
    const started = await retryRun(deps, { runId, ...(values.host !== undefined ? { host: values.host } : {}), fields: readRunFields(values) });
    return reportStarted(ctx, out, started, { wait: Boolean(values.wait), json: Boolean(values.json) });
  },
};
