import { parseArgs } from 'node:util';
import { createPrompt } from '../../../core/create-prompt.js';
import type { CliContext } from '../context.js';
import type { Output } from '../output.js';
import { UsageError } from '../usage-error.js';

export const createPromptHelp = `Usage: cosmos create prompt "<text>" <video_dir> [--name NAME] [--negative TEXT] [--json]

Stores a prompt: the text plus an input directory holding color.mp4 (required), depth.mp4 and
segmentation.mp4 (optional). Inputs are hashed now; the same text and files return the existing prompt.

Example:
  cosmos create prompt "a foggy harbour at dawn, cinematic" ./inputs/harbour --name harbour_dawn`;

export async function runCreatePrompt(args: string[], ctx: CliContext, out: Output): Promise<void> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: { name: { type: 'string' }, negative: { type: 'string' }, json: { type: 'boolean' } },
  });
  const [text, videoDir, ...extra] = positionals;
  if (text === undefined || videoDir === undefined || extra.length > 0) throw new UsageError('expected "<text>" and <video_dir>');
  const { prompt, created } = await createPrompt(ctx.db, {
    text, videoDir,
    ...(values.name !== undefined ? { name: values.name } : {}),
    ...(values.negative !== undefined ? { negativePrompt: values.negative } : {}),
  }, { negativePrompt: ctx.config.defaults.negative_prompt });
  if (values.json) return out.json({ created, prompt });
  out.line(`${created ? out.green('created') : out.yellow('exists')} ${out.bold(prompt.id)} ${prompt.name}`);
  out.line(`  inputs: ${Object.keys(prompt.inputs).join(', ')} (${prompt.inputs.video.width}×${prompt.inputs.video.height}, ${prompt.inputs.video.frames} frames)`);
}
