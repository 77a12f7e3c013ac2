import { parseCommandArgs, parseNumber } from '../args.js';
import type { Command } from '../command.js';
import { UsageError } from '../usage-error.js';
import { formatRunFieldFlags, readRunFields, runFieldOptions } from '../run-field-flags.js';
import { reportStarted } from './started-run.js';

const options = {
  weight: { type: 'string' }, prompt: { type: 'string' }, host: { type: 'string' }, wait: { type: 'boolean' }, json: { type: 'boolean' },
  ...runFieldOptions(),
} as const;

export const upscaleCommand: Command = {
  options,
  help: `Usage: cosmos upscale <run_id> [--weight X] [--prompt TEXT] [--priority N] [--host NAME] [--wait] [--json]

Upscales the output of a completed transfer run to 4K (3× its size, e.g. 3840×2112) with 10 steps.

Options:
  --weight X     upscale control weight, 0..1 (default 0.5)
  --prompt TEXT  prompt for the upscaler (default: none)
  --host NAME    GPU host (default: the source run's host)
  --wait         follow the run with a progress bar until it ends (exit 1 if it fails)
  --json         print {run, workflowId, webUi}
${formatRunFieldFlags()}

Example:
  cosmos upscale rs_0123… --weight 0.6 --wait`,

  async run(args, ctx, out) {
    const { values, positionals } = parseCommandArgs(args, options);
    const [runId, ...extra] = positionals;
    if (runId === undefined || extra.length > 0) throw new UsageError('expected one run id');
    const { startUpscale } = await import('../../runs.js');
    const deps = { db: ctx.db, temporal: await ctx.temporal(), config: ctx.config };
    const started = await startUpscale(deps, {
      runId,
      ...(values.weight !== undefined ? { weight: parseNumber('--weight', values.weight) } : {}),
      ...(values.prompt !== undefined ? { prompt: values.prompt } : {}),
      ...(values.host !== undefined ? { host: values.host } : {}),
      fields: readRunFields(values),
    });
    return reportStarted(ctx, out, started, { wait: Boolean(values.wait), json: Boolean(values.json) });
  },
};
