import { parseArgs } from 'node:util';
import { InputError } from '../../../core/input-error.js';
import { isEntityId } from '../../../db/ids.js';
import { findPrompt } from '../../../db/queries/prompts.js';
import { findRun, listRunEvents } from '../../../db/queries/runs.js';
import type { Run } from '../../../db/schema.js';
import { describeFailureHint } from '../../../core/failure-hints.js';
import { webUiLink } from '../../runs.js';
import type { CliContext } from '../context.js';
import type { Output } from '../output.js';
import { UsageError } from '../usage-error.js';

export const showHelp = `Usage: cosmos show <prompt_id|run_id> [--json]

Shows a prompt, or a run with its stage, progress, files, error (with a hint) and Web UI link.

Example:
  cosmos show rs_0123…`;

export async function runShow(args: string[], ctx: CliContext, out: Output): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' } } });
  const [id, ...extra] = positionals;
  if (id === undefined || extra.length > 0) throw new UsageError('expected one prompt or run id');
  if (isEntityId(id, 'rs')) {
    const run = await findRun(ctx.db, id);
    if (!run) throw new InputError(`run ${id} does not exist`);
    if (values.json) return out.json({ run, events: await listRunEvents(ctx.db, id), webUi: run.workflowId ? webUiLink(ctx.config, run.workflowId) : null });
    return printRun(run, ctx, out);
  }
  if (isEntityId(id, 'ps')) {
    const prompt = await findPrompt(ctx.db, id);
    if (!prompt) throw new InputError(`prompt ${id} does not exist`);
    if (values.json) return out.json({ prompt });
    out.line(`${out.bold(prompt.id)} ${prompt.name} (${prompt.modelType})`);
    out.line(`  text:   ${prompt.promptText}`);
    for (const [role, file] of Object.entries(prompt.inputs)) out.line(`  ${role.padEnd(6)}  ${file.path} (${file.bytes} bytes, ${file.frames} frames)`);
    return;
  }
  throw new InputError(`"${id}" is neither a prompt id (ps_…) nor a run id (rs_…)`);
}

export function printRun(run: Run, ctx: CliContext, out: Output): void {
  const status = run.status === 'completed' ? out.green(run.status) : run.status === 'failed' ? out.red(run.status) : out.yellow(run.status);
  out.line(`${out.bold(run.id)} ${run.modelType} ${status}${run.stage ? ` · ${run.stage}` : ''} ${Math.round(run.progress * 100)}%`);
  out.line(`  prompt: ${run.promptId}   host: ${run.gpuHost ?? '-'}   container: ${run.containerName ?? '-'}`);
  const video = run.outputs?.files.find((f) => f.name === 'output.mp4');
  if (video) out.line(`  output: ${video.path}`);
  if (run.outputs?.logPath) out.line(`  log:    ${run.outputs.logPath}`);
  if (run.errorMessage) {
    out.line(`  ${out.red(`error (${run.failureKind})`)}: ${run.errorMessage.split('\n').join('\n    ')}`);
    if (run.failureKind) out.line(`  hint: ${describeFailureHint(run.failureKind)}`);
  }
  const link = run.workflowId ? webUiLink(ctx.config, run.workflowId) : null;
  if (link) out.line(`  web ui: ${link}`);
}
