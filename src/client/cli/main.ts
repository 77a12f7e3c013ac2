import { commandTable, describeCommands, splitCommand } from './command-table.js';
import { createOutput } from './output.js';
import { describeError } from './describe-error.js';
import { escapeTerminalText } from './terminal-text.js';
import { UsageError } from './usage-error.js';

const usage = () => `Usage: cosmos <command> [options]

Commands:
${describeCommands()}

Read commands accept --json (shapes in docs/cli.md). Exit codes: 0 success, 1 error, 2 wrong usage.
Run \`cosmos <command> --help\` for the options and examples of each.`;

let currentCommand = '';

async function main(argv: string[]): Promise<number> {
  const out = createOutput();
  if (argv.length === 0) {
    process.stderr.write(`${usage()}\n`);
    return 2;
  }
  if (['--help', '-h', 'help'].includes(argv[0]!)) {
    out.line(usage());
    return 0;
  }
  const { key, args } = splitCommand(argv);
  if (commandTable[key]) currentCommand = key;
  const entry = commandTable[key];
  if (!entry) throw new UsageError(`unknown command "${argv.slice(0, key.startsWith('create') ? 2 : 1).join(' ')}"`);
  const command = await entry.load();
  if (args.includes('--help') || args.includes('-h')) {
    out.line(command.helpFor ? command.helpFor(args) : command.help);
    return 0;
  }
  // Loaded here, not at the top: `cosmos --help` and every command's --help never need config or a database.
  const { openCliContext } = await import('./context.js');
  const ctx = openCliContext();
  try {
    return (await command.run(args, ctx, out)) ?? 0;
  } finally {
    await ctx.close();
  }
}

const knownErrors = new Set([
  'InputError', 'ConfigError', 'WorkflowFailedError', 'WorkflowNotFoundError', 'ApplicationFailure', 'HostUnreachableError', 'RemoteCommandError',
]);

function reportError(error: unknown): number {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof UsageError) {
    process.stderr.write(`cosmos: ${escapeTerminalText(message)} (see \`cosmos ${currentCommand ? `${currentCommand} ` : ''}--help\`)\n`);
    return 2;
  }
  const name = error instanceof Error ? error.name : '';
  const code = (error as { code?: string }).code;
  // The whole message and its causes: a failure's reason is often on its second line or in its cause.
  let text = describeError(error);
  if (code === 'ECONNREFUSED' && !knownErrors.has(name)) text = `cannot reach PostgreSQL (${message}); start it (\`cosmos dev\`) or set DATABASE_URL`;
  const debug = process.env.COSMOS_DEBUG && !knownErrors.has(name) ? `\n${(error as Error).stack}` : '';
  process.stderr.write(`cosmos: ${text}${debug}\n`);
  return 1;
}

// `cosmos list runs | head` closes the pipe early; that is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error: unknown) => { process.exitCode = reportError(error); },
);
