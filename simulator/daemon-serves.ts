import { isDetachedRun } from './docker-run-args.js';

/** The docker subcommands that only read and end at once, and `run -d`; everything else runs as its own process. */
const servedDocker = new Set(['ps', 'ls', 'inspect', 'image', 'version', 'info', '--version', '-v']);

export function daemonServes(tool: string, args: string[]): boolean {
  if (tool === 'nvidia-smi') return true;
  if (tool !== 'docker') return false;
  const [first, ...rest] = subcommand(args);
  if (first === 'run') return isDetachedRun(rest);
  return first !== undefined && servedDocker.has(first);
}

export function isDockerRun(tool: string, args: string[]): boolean {
  return tool === 'docker' && subcommand(args)[0] === 'run';
}

/** `docker container ls|inspect|run…` is the long form of the same commands. */
function subcommand(args: string[]): string[] {
  return args[0] === 'container' ? args.slice(1) : args;
}
