import { listModelTypes, findModelType } from '../../../models/index.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { describeModelFlags, flagOptions, formatFlags, readFlags } from '../model-flags.js';
import { formatRunFieldFlags, readRunFields, runFieldOptions } from '../run-field-flags.js';
import { UsageError } from '../usage-error.js';
import { reportBatch, reportStarted } from './started-run.js';
import { quoteCommand } from '../../../gpu/shell-quote.js';

const common = {
  host: { type: 'string' }, then: { type: 'string', multiple: true }, wait: { type: 'boolean' }, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' },
} as const;

const overview = () => `Usage: cosmos run <model> <prompt_id…|run_id> [model options] [--then MODEL] [--priority N] [--host NAME] [--wait] [--dry-run] [--json]

Starts a run of any model type. A model that works on prompts takes prompt ids (several: one batch); one that
works on a finished run (upscale) takes its run id. \`--then MODEL\` (repeatable) chains steps: each starts when the
one before completed, on what it produced (a new prompt, or its run), with that model's defaults.

Model types:
${listModelTypes().map((m) => `  ${m.name.padEnd(12)} ${m.summary}`).join('\n')}

Run \`cosmos run <model> --help\` for the options of one model type.

Examples:
  cosmos run transfer ps_0123… --weights.edge 0.8 --num-steps 20 --wait
  cosmos run enhance ps_0123… --then transfer --wait
  cosmos run upscale rs_0123… --control-weight 0.6`;

function helpFor(args: string[]): string {
  const name = args.find((a) => !a.startsWith('-'));
  if (!name) return overview();
  const model = findModelType(name);
  const what = model.startsFrom === 'prompt' ? '<prompt_id…>' : '<run_id>';
  return `Usage: cosmos run ${model.name} ${what} [options]

${model.summary}.

Model options:
${formatFlags(describeModelFlags(model))}

Options:
${formatRunFieldFlags()}
  --then MODEL   run MODEL next on what this run produced (repeatable)
  --host NAME    GPU host serving every model of the run (default: the first free slot on any host that serves it)
  --wait         follow with a progress bar until the end (exit 1 if a run fails)
  --dry-run      print the spec and docker command that would run; start nothing
  --json         print {run, workflowId, webUi} ({batch, runs, workflowId} for a batch)`;
}

export const runCommand: Command = {
  options: { ...common, ...runFieldOptions() },
  help: overview(),
  helpFor,

  async run(args, ctx, out) {
    const [name, ...rest] = args;
    if (name === undefined || name.startsWith('-')) throw new UsageError('expected a model type first (cosmos run --help lists them)');
    const model = findModelType(name);
    const modelFlags = describeModelFlags(model);
    const { values, positionals } = parseCommandArgs(rest, { ...common, ...runFieldOptions(), ...flagOptions(modelFlags) });
    if (positionals.length === 0) throw new UsageError(`expected ${model.startsFrom === 'prompt' ? 'at least one prompt id' : 'a run id'}`);
    const params = readFlags(modelFlags, values);
    const fields = readRunFields(values);
    const then = ((values.then as string[] | undefined) ?? []).map((modelType) => ({ modelType: findModelType(modelType).name }));
    const host = typeof values.host === 'string' ? { host: values.host } : {};
    const from = (id: string) => (model.startsFrom === 'prompt' ? { promptId: id } : { sourceRunId: id });
    if (model.startsFrom !== 'prompt' && positionals.length > 1) throw new UsageError(`${model.name} works on one run id at a time`);
    if (positionals.length > 1 && then.length > 0) throw new UsageError('--then works on one prompt id, not on a batch');
    const deps = { db: ctx.db, temporal: await ctx.temporal(), config: ctx.config };
    const runs = await import('../../runs.js');
    if (values['dry-run']) {
      if (values.wait || then.length > 0) throw new UsageError('--dry-run shows one run; drop --then and --wait');
      const plans = [];
      for (const id of positionals) plans.push({ id, ...await runs.planRun(deps, { modelType: model.name, ...from(id), params, ...host }) });
      if (values.json) return out.json(plans.length === 1 ? plans[0] : { plans });
      for (const plan of plans) {
        out.line(`${out.bold('dry run')} of ${plan.modelType} on ${plan.id} on ${plan.host} (nothing was started)`);
        for (const [file, text] of Object.entries(plan.texts)) out.line(`${out.bold(`${file}:`)}\n${text.trimEnd()}`);
        out.line(`${out.bold('command:')}\n${quoteCommand(plan.command)}`);
      }
      return 0;
    }
    if (positionals.length > 1) {
      const started = await runs.startBatch(deps, { modelType: model.name, promptIds: positionals, params, fields, ...host });
      return reportBatch(ctx, out, started, { wait: Boolean(values.wait), json: Boolean(values.json) });
    }
    const started = await runs.startRun(deps, { modelType: model.name, ...from(positionals[0]!), params, fields, ...host, then });
    return reportStarted(ctx, out, started, { wait: Boolean(values.wait), json: Boolean(values.json) });
  },
};
