import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { UsageError } from '../usage-error.js';
import { formatRunFieldFlags, readRunFields, runFieldOptions } from '../run-field-flags.js';
import { reportStarted } from './started-run.js';

const options = { host: { type: 'string' }, wait: { type: 'boolean' }, json: { type: 'boolean' }, ...runFieldOptions() } as const;

export const enhanceCommand: Command = {
  options,
  help: `Usage: cosmos enhance <prompt_id> [--priority N] [--host NAME] [--wait] [--json]

Runs the Cosmos prompt upsampler on the prompt's text and video. The result is a new prompt named
<name>_enhanced (its parent is the original); \`cosmos show <run_id>\` names it.

Options:
  --host NAME   GPU host (default: the first free slot on any host that serves it)
  --wait        follow the run with a progress bar until it ends (exit 1 if it fails)
  --json        print {run, workflowId, webUi}
${formatRunFieldFlags()}

Example:
  cosmos enhance ps_0123… --wait`,

  async run(args, ctx, out) {
    const { values, positionals } = parseCommandArgs(args, options);
    const [promptId, ...extra] = positionals;
    if (promptId === undefined || extra.length > 0) throw new UsageError('expected one prompt id');
    const { startEnhance } = await import('../../runs.js');
    const deps = { db: ctx.db, temporal: await ctx.temporal(), config: ctx.config };
    const started = await startEnhance(deps, { promptId, ...(values.host !== undefined ? { host: values.host } : {}), fields: readRunFields(values) });
    return reportStarted(ctx, out, started, { wait: Boolean(values.wait), json: Boolean(values.json) });
  },
};
