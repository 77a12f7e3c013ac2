import { join } from 'node:path';

/** Every simulator executable is started by a shim as `<x>.js --sim-home <home> ...args`. */
export function parseSimHome(argv: string[]): { home: string; args: string[] } {
  const [flag, home, ...args] = argv;
  if (flag !== '--sim-home' || !home) {
    process.stderr.write('simulator: expected --sim-home <dir> as the first argument\n');
    process.exit(125);
  }
  return { home, args };
}

export function containersDir(home: string): string {
  return join(home, 'containers');
}

export function containerDir(home: string, name: string): string {
  return join(home, 'containers', name);
}

export function binDir(home: string): string {
  return join(home, 'bin');
}

/** The command daemon's socket, its pid file, and the marker a client leaves while one starts (see daemon.ts). */
export const daemonSocketPath = (home: string) => join(home, 'run', 'sim.sock');
export const daemonPidPath = (home: string) => join(home, 'run', 'daemon.pid');
export const daemonStartingPath = (home: string) => join(home, 'run', 'daemon.starting');
/** The daemon's spare supervisor, while it waits for a container (supervisor-start.ts). */
export const sparePidPath = (home: string) => join(home, 'run', 'spare.pid');
