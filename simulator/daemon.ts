/**
 * The simulator's command daemon: one long-lived node process per simulator home that answers the short `docker`
 * and `nvidia-smi` reads (ps, inspect, image, version, info; nvidia-smi on the host) for the thin client
 * (`client/main.go`), so such a command costs a socket round trip instead of a node start (0.1 CPU-s each, which
 * on a 2-core machine made the simulated host, not the orchestrator, the bottleneck of the benchmarks). Commands
 * that run, follow or change containers are not served here ('f': the client runs the node script itself), and the
 * answers are those of the same code the scripts run, so nothing about the host's behaviour changes.
 *
 * Frames both ways: one kind byte, a big-endian u32 length, the payload. Request 'q' (JSON {tool, args}); answers
 * 'o' (stdout), 'e' (stderr), 'x' (the exit code in decimal, last) or 'f' (not served here). Commands run one at a
 * time (each takes milliseconds), so capturing process.stdout/stderr around one is safe. Exits after 30 s idle.
 *
 *   node daemon.js --sim-home <home>
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { runDocker } from './docker-cli.js';
import { runNvidiaSmi } from './nvidia-smi-cli.js';
import { daemonPidPath, daemonSocketPath, daemonStartingPath, parseSimHome } from './sim-home.js';

const idleMs = 30_000;

/** The docker subcommands that only read and end at once; everything else runs as its own process. */
const servedDocker = new Set(['ps', 'ls', 'inspect', 'image', 'version', 'info', '--version', '-v']);

export function daemonServes(tool: string, args: string[]): boolean {
  if (tool === 'nvidia-smi') return true;
  if (tool !== 'docker') return false;
  const [first] = args[0] === 'container' ? args.slice(1) : args;
  return first !== undefined && servedDocker.has(first);
}

function frame(kind: string, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const head = Buffer.alloc(5);
  head.write(kind, 0, 'latin1');
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

type Write = typeof process.stdout.write;

/** Runs one command with process.stdout/stderr captured; its output and exit code. */
async function capture(run: () => number | Promise<number>): Promise<{ out: Buffer[]; err: Buffer[]; code: number }> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const grab = (into: Buffer[]): Write => ((chunk: string | Uint8Array, encoding?: BufferEncoding | ((e?: Error | null) => void), done?: (e?: Error | null) => void) => {
    into.push(typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? encoding : 'utf8') : Buffer.from(chunk));
    (typeof encoding === 'function' ? encoding : done)?.();
    return true;
  }) as Write;
  const saved = { out: process.stdout.write, err: process.stderr.write };
  process.stdout.write = grab(out);
  process.stderr.write = grab(err);
  try {
    const code = await run();
    return { out, err, code };
  } catch (error) {
    err.push(Buffer.from(`${error instanceof Error ? error.message : String(error)}\n`));
    return { out, err, code: 1 };
  } finally {
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
  }
}

function serve(home: string): void {
  const socketPath = daemonSocketPath(home);
  let queue: Promise<void> = Promise.resolve();
  let idle: NodeJS.Timeout;
  const server = createServer((socket) => {
    armIdle();
    let buffered = Buffer.alloc(0);
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 5) return;
      const length = buffered.readUInt32BE(1);
      if (buffered.length < 5 + length) return;
      socket.removeAllListeners('data');
      const request = JSON.parse(buffered.subarray(5, 5 + length).toString()) as { tool: string; args: string[] };
      queue = queue.then(() => answer(socket, home, request));
    });
  });
  const armIdle = () => {
    clearTimeout(idle);
    idle = setTimeout(() => {
      server.close();
      if (readPid(home) === process.pid) {
        rmSync(socketPath, { force: true });
        rmSync(daemonPidPath(home), { force: true });
      }
      process.exit(0);
    }, idleMs);
  };
  server.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EADDRINUSE') throw error;
    // A socket file is there: a live daemon answers on it (then this one is not needed), a dead one left it behind.
    const probe = connect(socketPath);
    probe.on('connect', () => process.exit(0));
    probe.on('error', () => {
      rmSync(socketPath, { force: true });
      server.listen(socketPath);
    });
  });
  server.on('listening', () => {
    writeFileSync(daemonPidPath(home), `${process.pid}\n`);
    rmSync(daemonStartingPath(home), { force: true });
    armIdle();
  });
  server.listen(socketPath);
}

async function answer(socket: Socket, home: string, request: { tool: string; args: string[] }): Promise<void> {
  if (!daemonServes(request.tool, request.args)) {
    socket.end(frame('f', ''));
    return;
  }
  const { out, err, code } = await capture(() => (request.tool === 'docker' ? runDocker(home, request.args) : runNvidiaSmi(home, request.args)));
  const frames = [...out.map((b) => frame('o', b)), ...err.map((b) => frame('e', b)), frame('x', String(code))];
  socket.end(Buffer.concat(frames));
}

function readPid(home: string): number | null {
  try {
    return Number(readFileSync(daemonPidPath(home), 'utf8').trim());
  } catch {
    return null;
  }
}

const { home } = parseSimHome(process.argv.slice(2));
// The daemon answers for the host, never for a process inside a simulated container.
delete process.env.COSMOS_SIM_CONTAINER;
delete process.env.CUDA_VISIBLE_DEVICES;
if (existsSync(home)) {
  mkdirSync(join(home, 'run'), { recursive: true });
  serve(home);
}
