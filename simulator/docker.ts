import { CliError } from './cli-error.js';
import { inspectContainers } from './docker-inspect.js';
import { killContainers, removeContainers, stopContainers, waitContainers } from './docker-lifecycle.js';
import { showLogs } from './docker-logs.js';
import { listPs } from './docker-ps.js';
import { runContainer } from './docker-run.js';
import { imageCommand } from './docker-image.js';
import { showInfo, showVersion } from './docker-version.js';
import { parseSimHome } from './sim-home.js';

const VERSION = 'Docker version 27.3.1, build ce12230';

type Command = (home: string, args: string[]) => number | Promise<number>;

const COMMANDS: Record<string, Command> = {
  run: runContainer,
  inspect: inspectContainers,
  ps: listPs,
  logs: showLogs,
  wait: waitContainers,
  stop: stopContainers,
  kill: killContainers,
  rm: removeContainers,
  image: imageCommand,
  version: showVersion,
  info: showInfo,
};

function printLines(text: string): number {
  process.stdout.write(`${text}\n`);
  return 0;
}

async function main(): Promise<number> {
  const { home, args } = parseSimHome(process.argv.slice(2));
  // `docker container ls|inspect|...` is the long form of the same commands.
  const [first, ...rest] = args[0] === 'container' ? args.slice(1) : args;
  if (first === '--version' || first === '-v') return printLines(VERSION);
  if (first === undefined) return printLines('Usage:  docker [OPTIONS] COMMAND');
  const command = COMMANDS[first === 'ls' ? 'ps' : first];
  if (!command) throw new CliError(`docker: '${first}' is not a docker command.\nSee 'docker --help'`, 1);
  return command(home, rest);
}

process.stdout.on('error', () => process.exit(0));
main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = error instanceof CliError ? error.exitCode : 1;
  },
);
