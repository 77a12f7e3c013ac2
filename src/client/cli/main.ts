import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { ConfigError } from '../../config.js';
import { InputError } from '../../core/input-error.js';
import { createPromptHelp, runCreatePrompt } from './commands/create-prompt.js';
import { inferenceHelp, runInference } from './commands/inference.js';
import { runShow, showHelp } from './commands/show.js';
import { openCliContext, type CliContext } from './context.js';
import { createOutput } from './output.js';
import { UsageError } from './usage-error.js';

const usage = `Usage: cosmos <command> [options]

Commands:
  create prompt "<text>" <video_dir>   store a prompt and its input videos
  inference <prompt_id>                run Cosmos-Transfer1 on a GPU host (--wait to follow it)
  show <prompt_id|run_id>              a prompt, or a run with its progress, files and errors
  worker                               run the Temporal worker for the configured GPU hosts

Run \`cosmos <command> --help\` for the options and examples of each.`;

type Handler = { help: string; run: (args: string[], ctx: CliContext, out: ReturnType<typeof createOutput>) => Promise<number | void> };

const commands: Record<string, Handler> = {
  'create prompt': { help: createPromptHelp, run: runCreatePrompt },
  inference: { help: inferenceHelp, run: runInference },
  show: { help: showHelp, run: runShow },
};

async function main(argv: string[]): Promise<number> {
  const out = createOutput();
  const key = argv[0] === 'create' ? `create ${argv[1] ?? ''}`.trim() : argv[0] ?? '';
  if (key === '' || key === '--help' || key === '-h' || key === 'help') {
    out.line(usage);
    return key === '' ? 2 : 0;
  }
  if (key === 'worker') {
    await import('../../worker.js').then((m) => m.runWorkerMain());
    return 0;
  }
  const command = commands[key];
  if (!command) throw new UsageError(`unknown command "${argv.slice(0, 2).join(' ')}"`);
  const args = argv.slice(key.split(' ').length);
  if (args.includes('--help') || args.includes('-h')) {
    out.line(command.help);
    return 0;
  }
  const ctx = openCliContext();
  try {
    return (await command.run(args, ctx, out)) ?? 0;
  } finally {
    await ctx.close();
  }
}

function reportError(error: unknown): number {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`cosmos: ${message}\n(see \`cosmos --help\`)\n`);
    return 2;
  }
  const known = error instanceof InputError || error instanceof ConfigError || error instanceof WorkflowFailedError || error instanceof ApplicationFailure;
  process.stderr.write(`cosmos: ${known ? message : `${message}${process.env.COSMOS_DEBUG ? `\n${(error as Error).stack}` : ''}`}\n`);
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error: unknown) => { process.exitCode = reportError(error); },
);
