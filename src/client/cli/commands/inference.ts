import { parseCommandArgs, parseNumber } from '../args.js';
import type { Command } from '../command.js';
import { UsageError } from '../usage-error.js';
import { readTransferParams, withoutWeightValues } from './inference-params.js';
import { reportBatch, reportStarted } from './started-run.js';
import { quoteCommand } from '../../../gpu/shell-quote.js';
import type { Output } from '../output.js';
import { formatRunFieldFlags, readRunFields, runFieldOptions } from '../run-field-flags.js';

const options = {
  weights: { type: 'string' }, steps: { type: 'string' }, guidance: { type: 'string' }, seed: { type: 'string' },
  fps: { type: 'string' }, 'sigma-max': { type: 'string' }, enhance: { type: 'boolean' }, upscale: { type: 'boolean' },
  'upscale-weight': { type: 'string' }, host: { type: 'string' }, wait: { type: 'boolean' }, 'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;
const allOptions = { ...options, ...runFieldOptions() };

export const inferenceCommand: Command = {
  options: allOptions,
  help: `Usage: cosmos inference <prompt_id…> [options]

Starts a Cosmos-Transfer1 run of the prompt on a GPU host and prints its run id and Web UI link.
Several prompt ids start one batch (one model load for all of them).

Options:
  --weights VIS EDGE DEPTH SEG   control weights, 0..1 each (default 0.25 0.25 0.25 0.25; 0 omits a control)
  --steps N          diffusion steps (default 35)     --guidance X   CFG scale (default 5)
  --seed N           (default 1)                       --fps N        output fps (default: the input's)
  --sigma-max X      0..80 (default 70)                --host NAME    GPU host (default: the first free slot)
  --enhance          enhance the prompt first, then run inference on the enhanced prompt
  --upscale          upscale the output to 4K afterwards (--upscale-weight X, default 0.5)
  --wait             follow with a progress bar until the end (exit 1 if a run fails)
  --dry-run          print the exact spec and docker command that would run; start nothing
  --json             print {run, workflowId, webUi} ({batch, runs, workflowId} for a batch)
${formatRunFieldFlags()}

Examples:
  cosmos inference ps_0123… --weights 0.3 0.3 0.2 0.2 --seed 7 --wait
  cosmos inference ps_0123… --priority 10            # ahead of the waiting runs of lower priority
  cosmos inference ps_0123… --upscale --upscale-weight 0.6
  cosmos inference ps_aaaa… ps_bbbb… ps_cccc…          # a batch
  cosmos inference ps_0123… --steps 50 --dry-run`,

  async run(args, ctx, out) {
    const { values, positionals } = parseCommandArgs(args, allOptions);
    const promptIds = withoutWeightValues(args, positionals);
    if (promptIds.length === 0) throw new UsageError('expected at least one prompt id');
    if (values['upscale-weight'] !== undefined && !values.upscale) throw new UsageError('--upscale-weight needs --upscale');
    const params = readTransferParams(args, values);
    const fields = readRunFields(values);
    const host = values.host !== undefined ? { host: values.host } : {};
    const upscale = values.upscale
      ? { upscale: values['upscale-weight'] !== undefined ? { weight: parseNumber('--upscale-weight', values['upscale-weight']) } : {} }
      : {};
    if (values['dry-run'] && (values.enhance || values.upscale || values.wait)) throw new UsageError('--dry-run shows one transfer run; drop --enhance, --upscale and --wait');
    if (promptIds.length > 1 && (values.enhance || values.upscale)) throw new UsageError('--enhance and --upscale work on one prompt id, not on a batch');
    const deps = { db: ctx.db, temporal: await ctx.temporal(), config: ctx.config };
    const runs = await import('../../runs.js');
    if (values['dry-run']) {
      const plans = [];
      for (const promptId of promptIds) plans.push({ promptId, ...await runs.planRun(deps, { modelType: 'transfer', promptId, params, ...host }) });
      if (values.json) return out.json(promptIds.length === 1 ? plans[0] : { plans });
      for (const plan of plans) printPlan(plan, out);
      return 0;
    }
    if (promptIds.length > 1) {
      const started = await runs.startBatch(deps, { promptIds, params, fields, ...host });
      return reportBatch(ctx, out, started, { wait: Boolean(values.wait), json: Boolean(values.json) });
    }
    const started = await runs.startInference(deps, { promptId: promptIds[0]!, params, fields, ...host, ...(values.enhance ? { enhance: true } : {}), ...upscale });
    return reportStarted(ctx, out, started, { wait: Boolean(values.wait), json: Boolean(values.json) });
  },
};

function printPlan(plan: { promptId: string; host: string; spec: Record<string, unknown> | null; command: string[] }, out: Output): void {
  out.line(`${out.bold('dry run')} of ${plan.promptId} on ${plan.host} (nothing was started)`);
  out.line(out.bold('spec.json:'));
  out.line(JSON.stringify(plan.spec, null, 2));
  out.line(out.bold('command:'));
  out.line(quoteCommand(plan.command));
}
