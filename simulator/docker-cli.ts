import { CliError } from './cli-error.js';
import { inspectContainers } from './docker-inspect.js';
import { killContainers, removeContainers, stopContainers, waitContainers } from './docker-lifecycle.js';
import { showLogs } from './docker-logs.js';
import { listPs } from './docker-ps.js';
import { runContainer } from './docker-run.js';
import type { RunCaller } from './docker-run-args.js';
import { imageCommand } from './docker-image.js';
import { showInfo, showVersion } from './docker-version.js';

const VERSION = 'Docker version 27.3.1, build ce12230';

type Command = (home: string, args: string[], caller?: RunCaller) => number | Promise<number>;

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

/**
 * `docker` against the simulator home: output goes to process.stdout/stderr, the exit code is returned (errors
 * included). `caller`: the environment and directory of the CLI process when this one is not it (the daemon).
 */
export async function runDocker(home: string, argv: string[], caller?: RunCaller): Promise<number> {
  try {
    return await dispatch(home, argv, caller);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    return error instanceof CliError ? error.exitCode : 1;
  }
}

async function dispatch(home: string, argv: string[], caller?: RunCaller): Promise<number> {
  // `docker container ls|inspect|...` is the long form of the same commands.
  const [first, ...rest] = argv[0] === 'container' ? argv.slice(1) : argv;
  if (first === '--version' || first === '-v') return printLines(VERSION);
  if (first === undefined) return printLines('Usage:  docker [OPTIONS] COMMAND');
  const command = COMMANDS[first === 'ls' ? 'ps' : first];
  if (!command) throw new CliError(`docker: '${first}' is not a docker command.\nSee 'docker --help'`, 1);
  return command(home, rest, caller);
}
