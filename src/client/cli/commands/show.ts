import { describeFailureHint } from '../../../core/failure-hints.js';
import { InputError, NotFoundError } from '../../../core/input-error.js';
import { isEntityId } from '../../../db/ids.js';
import { findBatch, listBatchRuns } from '../../../db/queries/batches.js';
import { listChildRuns, listRunsOfPrompt } from '../../../db/queries/maintenance.js';
import { findPrompt } from '../../../db/queries/prompts.js';
import { findRun, listRetriesOfRun, listRunEvents } from '../../../db/queries/runs.js';
import { isOpenRunStatus, type Prompt, type Run } from '../../../db/schema.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import type { CliContext } from '../context.js';
import { formatAge, formatBytes, formatStatus } from '../format.js';
import type { Output } from '../output.js';
import { UsageError } from '../usage-error.js';
import { webUiLinkFor } from '../web-ui.js';

const options = { json: { type: 'boolean' } } as const;

export const showCommand: Command = {
  options,
  help: `Usage: cosmos show <prompt_id|run_id|batch_id> [--json]

A prompt: its text, inputs and runs. A run: status, stage and progress, lineage (prompt, parent prompt,
source run of an upscale, upscales made from it, batch, the run it retries and its retries), files, error
with a hint, and its Web UI link.
A batch: its runs in order.

Options:
  --json   print {prompt, runs}, {run, prompt, lineage, events, hint, webUi} or {batch, runs} (docs/cli.md)

Examples:
  cosmos show rs_0123…
  cosmos show ps_0123… --json | jq '.runs | length'`,

  async run(args, ctx, out) {
    const { values, positionals } = parseCommandArgs(args, options);
    const [id, ...extra] = positionals;
    if (id === undefined || extra.length > 0) throw new UsageError('expected one prompt or run id');
    if (isEntityId(id, 'rs')) return showRun(id, ctx, out, Boolean(values.json));
    if (isEntityId(id, 'ps')) return showPrompt(id, ctx, out, Boolean(values.json));
    if (isEntityId(id, 'bt')) return showBatch(id, ctx, out, Boolean(values.json));
    throw new InputError(`"${id}" is neither a prompt id (ps_…), a run id (rs_…) nor a batch id (bt_…)`);
  },
};

async function showPrompt(id: string, ctx: CliContext, out: Output, json: boolean): Promise<void> {
  const prompt = await findPrompt(ctx.db, id);
  if (!prompt) throw new NotFoundError(`prompt ${id} does not exist`);
  const runs = await listRunsOfPrompt(ctx.db, id);
  if (json) return out.json({ prompt, runs });
  out.line(`${out.bold(prompt.id)} ${prompt.name} (${prompt.modelType}) created ${formatAge(prompt.createdAt)}`);
  out.line(`  text:     ${prompt.promptText}`);
  if (prompt.parentPromptId) out.line(`  enhanced from ${prompt.parentPromptId}`);
  for (const [role, file] of Object.entries(prompt.inputs)) {
    out.line(`  ${role.padEnd(8)}  ${file.path} (${formatBytes(file.bytes)}, ${file.width}×${file.height}, ${file.frames} frames)`);
  }
  out.line(`  runs:     ${runs.length === 0 ? 'none' : ''}`);
  for (const run of runs) out.line(`    ${run.id} ${run.modelType.padEnd(8)} ${formatStatus(run.status, out)} ${formatAge(run.createdAt)}`);
}

async function showBatch(id: string, ctx: CliContext, out: Output, json: boolean): Promise<void> {
  const batch = await findBatch(ctx.db, id);
  if (!batch) throw new NotFoundError(`batch ${id} does not exist`);
  const runs = await listBatchRuns(ctx.db, id);
  if (json) return out.json({ batch, runs });
  out.line(`${out.bold(batch.id)} batch of ${runs.length} ${formatStatus(batch.status, out)} created ${formatAge(batch.createdAt)}`);
  for (const run of runs) out.line(`  #${run.batchIndex} ${run.id} ${run.promptId} ${formatStatus(run.status, out)}${run.failureKind ? ` (${run.failureKind})` : ''}`);
}

async function showRun(id: string, ctx: CliContext, out: Output, json: boolean): Promise<void> {
  const run = await findRun(ctx.db, id);
  if (!run) throw new NotFoundError(`run ${id} does not exist`);
  const [prompt, events, children, parentRun, retries] = await Promise.all([
    findPrompt(ctx.db, run.promptId), listRunEvents(ctx.db, id), listChildRuns(ctx.db, id),
    run.parentRunId ? findRun(ctx.db, run.parentRunId) : undefined, listRetriesOfRun(ctx.db, id),
  ]);
  const lineage = {
    promptId: run.promptId,
    parentPromptId: prompt?.parentPromptId ?? null,
    parentRunId: run.parentRunId,
    childRunIds: children.map((child) => child.id),
    batchId: run.batchId,
    batchIndex: run.batchIndex,
    enhancedPromptId: run.outputs?.result?.kind === 'text' ? run.outputs.result.promptId ?? null : null,
    retryOfRunId: run.retryOfRunId,
    retriedByRunIds: retries.map((retry) => retry.id),
  };
  const hint = run.failureKind ? describeFailureHint(run.failureKind) : null;
  const webUi = await webUiLinkFor(ctx.config, run);
  if (json) return out.json({ run, prompt: prompt ?? null, lineage, events, hint, webUi });
  await printRun(run, ctx, out, prompt);
  if (parentRun) out.line(`  source: ${parentRun.id} (${parentRun.modelType}, ${parentRun.status})`);
  if (children.length > 0) out.line(`  derived: ${children.map((c) => `${c.id} (${c.modelType}, ${c.status})`).join(', ')}`);
  if (run.batchId) out.line(`  batch:  ${run.batchId} #${run.batchIndex ?? '?'}`);
  if (lineage.enhancedPromptId) out.line(`  enhanced prompt: ${lineage.enhancedPromptId}`);
  if (run.retryOfRunId) out.line(`  retry of ${run.retryOfRunId}`);
  if (retries.length > 0) out.line(`  retried by ${retries.map((r) => `${r.id} (${r.status})`).join(', ')}`);
}

export async function printRun(run: Run, ctx: CliContext, out: Output, prompt?: Prompt): Promise<void> {
  const progress = isOpenRunStatus(run.status) ? ` ${run.stage ?? 'waiting'} ${Math.round(run.progress * 100)}%` : '';
  out.line(`${out.bold(run.id)} ${run.modelType} ${formatStatus(run.status, out)}${progress}`);
  out.line(`  prompt: ${run.promptId}${prompt ? ` (${prompt.name})` : ''}   host: ${run.gpuHost ?? '-'}   container: ${run.containerName ?? '-'}`);
  const times = [['created', run.createdAt], ['started', run.startedAt], ['finished', run.completedAt]] as const;
  out.line(`  ${times.filter(([, at]) => at).map(([what, at]) => `${what} ${formatAge(at)}`).join(', ')}${run.rating ? `   rating: ${'★'.repeat(run.rating)}` : ''}`);
  const result = run.outputs?.result;
  // The model said what its result is; any model type is shown the same way.
  if (result?.kind === 'video' || result?.kind === 'json') {
    const file = run.outputs?.files.find((f) => f.name === result.file);
    if (file) out.line(`  output: ${file.path}${result.kind === 'video' ? ` (${result.width}×${result.height}, ${result.frames} frames at ${result.fps} fps)` : ''}`);
  }
  if (run.outputs?.logPath) out.line(`  log:    ${run.outputs.logPath}`);
  if (result?.kind === 'text') out.line(`  ${result.promptId ? 'enhanced text' : 'text'}: ${result.text}`);
  if (run.errorMessage) {
    out.line(`  ${out.red(`error (${run.failureKind})`)}: ${run.errorMessage.split('\n').join('\n    ')}`);
    if (run.failureKind) out.line(`  hint: ${describeFailureHint(run.failureKind)}`);
  }
  const link = await webUiLinkFor(ctx.config, run);
  if (link) out.line(`  web ui: ${link}`);
}
