import { parseCommandArgs, parseNumber } from '../args.js';
import type { Command } from '../command.js';
import { UsageError } from '../usage-error.js';
import { readTransferParams, withoutWeightValues } from './inference-params.js';
import { reportStarted } from './started-run.js';

const options = {
  weights: { type: 'string' }, steps: { type: 'string' }, guidance: { type: 'string' }, seed: { type: 'string' },
  fps: { type: 'string' }, 'sigma-max': { type: 'string' }, enhance: { type: 'boolean' }, upscale: { type: 'boolean' },
  'upscale-weight': { type: 'string' }, host: { type: 'string' }, wait: { type: 'boolean' }, 'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

export const inferenceCommand: Command = {
  options,
  help: `Usage: cosmos inference <prompt_id…> [options]

Starts a Cosmos-Transfer1 run of the prompt on a GPU host and prints its run id and Web UI link.
Several prompt ids start one batch (one model load for all of them).

Options:
  --weights VIS EDGE DEPTH SEG   control weights, 0..1 each (default 0.25 0.25 0.25 0.25; 0 omits a control)
  --steps N          diffusion steps (default 35)     --guidance X   CFG scale (default 5)
  --seed N           (default 1)                       --fps N        output fps (default 24)
  --sigma-max X      0..80 (default 70)                --host NAME    GPU host (default: least busy)
  --enhance          enhance the prompt first, then run inference on the enhanced prompt
  --upscale          upscale the output to 4K afterwards (--upscale-weight X, default 0.5)
  --wait             follow with a progress bar until the end (exit 1 if a run fails)
  --dry-run          print the exact spec and docker command that would run; start nothing
  --json             print {run, workflowId, webUi} ({batch, runs, workflowId} for a batch)

Examples:
  cosmos inference ps_0123… --weights 0.3 0.3 0.2 0.2 --seed 7 --wait
  cosmos inference ps_0123… --upscale --upscale-weight 0.6
  cosmos inference ps_aaaa… ps_bbbb… ps_cccc…          # a batch
  cosmos inference ps_0123… --steps 50 --dry-run`,

  async run(args, ctx, out) {
    const { values, positionals } = parseCommandArgs(args, options);
    const promptIds = withoutWeightValues(args, positionals);
    if (promptIds.length === 0) throw new UsageError('expected at least one prompt id');
    if (values['upscale-weight'] !== undefined && !values.upscale) throw new UsageError('--upscale-weight needs --upscale');
    const params = readTransferParams(args, values);
    const host = values.host !== undefined ? { host: values.host } : {};
    const upscale = values.upscale
      ? { upscale: values['upscale-weight'] !== undefined ? { weight: parseNumber('--upscale-weight', values['upscale-weight']) } : {} }
      : {};
    const { startInference } = await import('../../runs.js');
    if (promptIds.length > 1) throw new UsageError('batches of several prompt ids are not available yet');
    const deps = { db: ctx.db, temporal: await ctx.temporal(), config: ctx.config };
    const started = await startInference(deps, { promptId: promptIds[0]!, params, ...host, ...(values.enhance ? { enhance: true } : {}), ...upscale });
    return reportStarted(ctx, out, started, { wait: Boolean(values.wait), json: Boolean(values.json) });
  },
};
