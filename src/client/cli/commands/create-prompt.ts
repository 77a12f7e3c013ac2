import { join } from 'node:path';
import { createPrompt } from '../../../core/create-prompt.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { UsageError } from '../usage-error.js';

const options = { name: { type: 'string' }, negative: { type: 'string' }, json: { type: 'boolean' } } as const;

export const createPromptCommand: Command = {
  options,
  help: `Usage: cosmos create prompt "<text>" <video_dir> [--name NAME] [--negative TEXT] [--json]

Stores a prompt: the text plus an input directory holding color.mp4 (required), depth.mp4 and
segmentation.mp4 (optional). Inputs are hashed now; the same text and files return the existing prompt.
Without --name the name is derived from the text (e.g. "foggy_harbour_dawn"); without --negative the
configured default negative prompt is used.

Options:
  --name NAME       1–80 letters, digits, "_", "-", "."
  --negative TEXT   negative prompt
  --json            print {created, prompt}

Examples:
  cosmos create prompt "a foggy harbour at dawn, cinematic" ./inputs/harbour --name harbour_dawn
  id=$(cosmos create prompt "rainy street" ./inputs/street --json | jq -r .prompt.id)`,

  async run(args, ctx, out) {
    const { values, positionals } = parseCommandArgs(args, options);
    const [text, videoDir, ...extra] = positionals;
    if (text === undefined || videoDir === undefined || extra.length > 0) throw new UsageError('expected "<text>" and <video_dir>');
    const { prompt, created } = await createPrompt(ctx.db, {
      text, videoDir,
      ...(values.name !== undefined ? { name: values.name } : {}),
      ...(values.negative !== undefined ? { negativePrompt: values.negative } : {}),
    }, { negativePrompt: ctx.config.defaults.negative_prompt, posterDir: join(ctx.config.dataDir, 'posters') });
    if (values.json) return out.json({ created, prompt });
    out.line(`${created ? out.green('created') : out.yellow('exists')} ${out.bold(prompt.id)} ${prompt.name}`);
    const video = prompt.inputs.video;
    out.line(`  inputs: ${Object.keys(prompt.inputs).join(', ')} (${video.width}×${video.height}, ${video.frames} frames)`);
  },
};
