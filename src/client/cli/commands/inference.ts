import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { findRun } from '../../../db/queries/runs.js';
import type { TransferParamsInput } from '../../../models/transfer.js';
import { startInference, webUiLink } from '../../runs.js';
import type { CliContext } from '../context.js';
import { createProgressBar, type Output } from '../output.js';
import { UsageError } from '../usage-error.js';
import { printRun } from './show.js';

export const inferenceHelp = `Usage: cosmos inference <prompt_id> [options]

Starts a transfer run of the prompt on a GPU host and prints its run id and Web UI link.

Options:
  --weights VIS EDGE DEPTH SEG   control weights, 0..1 each (default 0.25 0.25 0.25 0.25; 0 omits a control)
  --steps N        diffusion steps (default 35)      --guidance X   CFG scale (default 5)
  --seed N         (default 1)                        --fps N        output fps (default 24)
  --sigma-max X    0..80 (default 70)                 --host NAME    GPU host (default: the first configured)
  --wait           follow the run with a progress bar until it ends (exit 1 if it fails)
  --json           print the run as JSON

Example:
  cosmos inference ps_0123… --weights 0.3 0.3 0.2 0.2 --seed 7 --wait`;

export async function runInference(args: string[], ctx: CliContext, out: Output): Promise<number> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: {
      weights: { type: 'string', multiple: true }, steps: { type: 'string' }, guidance: { type: 'string' }, seed: { type: 'string' },
      fps: { type: 'string' }, 'sigma-max': { type: 'string' }, host: { type: 'string' }, wait: { type: 'boolean' }, json: { type: 'boolean' },
    },
  });
  const weightArgs = takeWeights(args);
  const promptIds = positionals.filter((p) => !weightArgs.includes(p));
  if (promptIds.length !== 1) throw new UsageError('expected exactly one prompt id');
  const params: TransferParamsInput = {
    ...(weightArgs.length ? { weights: parseWeights(weightArgs) } : {}),
    ...numberOption('num_steps', values.steps), ...numberOption('guidance', values.guidance), ...numberOption('seed', values.seed),
    ...numberOption('fps', values.fps), ...numberOption('sigma_max', values['sigma-max']),
  };
  const deps = { db: ctx.db, temporal: await ctx.temporal(), config: ctx.config };
  const { run, workflowId } = await startInference(deps, { promptId: promptIds[0]!, params, ...(values.host ? { host: values.host } : {}) });
  const link = webUiLink(ctx.config, workflowId);
  if (!values.wait) {
    if (values.json) out.json({ run, workflowId, webUi: link });
    else out.line(`started ${out.bold(run.id)} on ${run.gpuHost}${link ? `\n  ${link}` : ''}`);
    return 0;
  }
  if (!values.json) out.line(`started ${out.bold(run.id)} on ${run.gpuHost}${link ? `\n  ${link}` : ''}`);
  const bar = createProgressBar(out);
  for (;;) {
    const current = await findRun(ctx.db, run.id);
    if (!current) throw new Error(`run ${run.id} disappeared`);
    if (!values.json) bar.update(current.status === 'running' ? current.stage ?? 'running' : current.status, current.progress);
    if (['completed', 'failed', 'cancelled'].includes(current.status)) {
      if (!values.json) bar.finish();
      if (values.json) out.json({ run: current, workflowId, webUi: link });
      else printRun(current, ctx, out);
      return current.status === 'completed' ? 0 : 1;
    }
    await sleep(500);
  }
}

/** `--weights` takes four values; parseArgs keeps only the first, so the rest are read from argv. */
function takeWeights(args: string[]): string[] {
  const at = args.indexOf('--weights');
  return at < 0 ? [] : args.slice(at + 1, at + 5);
}

function parseWeights(raw: string[]): NonNullable<TransferParamsInput['weights']> {
  if (raw.length !== 4) throw new UsageError('--weights takes four numbers: vis edge depth seg');
  const [vis, edge, depth, seg] = raw.map((value) => toNumber('--weights', value));
  return { vis: vis!, edge: edge!, depth: depth!, seg: seg! };
}

function numberOption(key: keyof TransferParamsInput, raw: string | undefined): TransferParamsInput {
  return raw === undefined ? {} : { [key]: toNumber(`--${key.replace('num_steps', 'steps').replace('_', '-')}`, raw) };
}

function toNumber(flag: string, raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || Number.isNaN(value)) throw new UsageError(`${flag} expects a number, got "${raw}"`);
  return value;
}
