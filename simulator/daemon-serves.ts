import { isDetachedRun } from './docker-run-args.js';

/** The docker subcommands that only read and end at once, and `run -d`; everything else runs as its own process. */
const servedDocker = new Set(['ps', 'ls', 'inspect', 'image', 'version', 'info', '--version', '-v']);

export function daemonServes(tool: string, args: string[]): boolean {
  if (tool === 'nvidia-smi') return true;
  if (tool !== 'docker') return false;
  const [first, ...rest] = args[0] === 'container' ? args.slice(1) : args;
  if (first === 'run') return isDetachedRun(rest);
  return first !== undefined && servedDocker.has(first);
}
