import { CliError } from './cli-error.js';
import { inspectContainers } from './docker-inspect.js';
import { killContainers, removeContainers, stopContainers, waitContainers } from './docker-lifecycle.js';
import { showLogs } from './docker-logs.js';
import { listPs } from './docker-ps.js';
import { runContainer } from './docker-run.js';
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
  version: () => printLines(`Client:\n Version:           27.3.1\n API version:       1.47\n\nServer:\n Engine:\n  Version:          27.3.1\n  API version:      1.47 (minimum version 1.24)`),
  info: (home) => printLines(`Server Version: 27.3.1\nRuntimes: io.containerd.runc.v2 nvidia runc\nDocker Root Dir: ${home}`),
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
