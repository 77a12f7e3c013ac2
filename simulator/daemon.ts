/**
 * The simulator's command daemon: one long-lived node process per simulator home that answers the short `docker`
 * and `nvidia-smi` reads (ps, inspect, image, version, info; nvidia-smi on the host) for the thin client
 * (`client/main.go`), so such a command costs a socket round trip instead of a node start (0.1 CPU-s each, which
 * on a 2-core machine made the simulated host, not the orchestrator, the bottleneck of the benchmarks). Commands
 * that follow or change containers (logs, wait, stop, kill, rm, an attached run) are not served here ('f': the
 * client runs the node script itself), and the answers are those of the same code the scripts run, so nothing
 * about the host's behaviour changes.
 *
 * `docker run -d` is served too: like dockerd, the daemon creates and starts the container (its supervisor) for the CLI
 * and answers once it runs; what the CLI itself resolves (`-e NAME` from its environment, `--env-file` from its
 * directory) comes with the request. An attached `docker run` streams the container's output: its own process.
 *
 * Frames both ways: one kind byte, a big-endian u32 length, the payload. Request 'q' (JSON {tool, args, env, cwd});
 * answers 'o' (stdout), 'e' (stderr), 'x' (the exit code in decimal, last) or 'f' (not served here). Commands run
 * side by side (a `docker run` waits for its container to start); each one's output is told apart by its async
 * context. Exits after 30 s idle.
 *
 *   node daemon.js --sim-home <home>
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { runDocker } from './docker-cli.js';
import { daemonServes, isDockerRun } from './daemon-serves.js';
import type { RunCaller } from './docker-run-args.js';
import { runNvidiaSmi } from './nvidia-smi-cli.js';
import { keepSpareSupervisor } from './supervisor-start.js';
import { daemonPidPath, daemonSocketPath, daemonStartingPath, parseSimHome } from './sim-home.js';

const idleMs = 30_000;

interface Request { tool: string; args: string[]; /** The client's environment (`K=V`) and directory. */ env?: string[]; cwd?: string }

function frame(kind: string, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const head = Buffer.alloc(5);
  head.write(kind, 0, 'latin1');
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

type Write = typeof process.stdout.write;

/** The output of the command whose async context is current; outside one, writes go where they always went. */
const sink = new AsyncLocalStorage<{ out: Buffer[]; err: Buffer[] }>();

function routeOutput(): void {
  const route = (stream: NodeJS.WriteStream, pick: (into: { out: Buffer[]; err: Buffer[] }) => Buffer[]) => {
    const original = stream.write.bind(stream) as Write;
    stream.write = ((chunk: string | Uint8Array, encoding?: BufferEncoding | ((e?: Error | null) => void), done?: (e?: Error | null) => void) => {
      const into = sink.getStore();
      if (!into) return original(chunk, encoding as BufferEncoding, done);
      pick(into).push(typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? encoding : 'utf8') : Buffer.from(chunk));
      (typeof encoding === 'function' ? encoding : done)?.();
      return true;
    }) as Write;
  };
  route(process.stdout, (into) => into.out);
  route(process.stderr, (into) => into.err);
}

/** Runs one command with what it writes to process.stdout/stderr captured; its output and exit code. */
async function capture(run: () => number | Promise<number>): Promise<{ out: Buffer[]; err: Buffer[]; code: number }> {
  const into = { out: [] as Buffer[], err: [] as Buffer[] };
  return sink.run(into, async () => {
    try {
      return { ...into, code: await run() };
    } catch (error) {
      into.err.push(Buffer.from(`${error instanceof Error ? error.message : String(error)}\n`));
      return { ...into, code: 1 };
    }
  });
}

function serve(home: string): void {
  const socketPath = daemonSocketPath(home);
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
      const request = JSON.parse(buffered.subarray(5, 5 + length).toString()) as Request;
      void answer(socket, home, request);
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

async function answer(socket: Socket, home: string, request: Request): Promise<void> {
  if (!daemonServes(request.tool, request.args)) {
    socket.end(frame('f', ''));
    return;
  }
  const caller = callerOf(request);
  const { out, err, code } = await capture(() => (request.tool === 'docker' ? runDocker(home, request.args, caller) : runNvidiaSmi(home, request.args)));
  const frames = [...out.map((b) => frame('o', b)), ...err.map((b) => frame('e', b)), frame('x', String(code))];
  socket.end(Buffer.concat(frames));
  // A host that starts containers gets the next one's supervisor started ahead, off the next start's path.
  if (isDockerRun(request.tool, request.args)) keepSpareSupervisor(home);
}

function callerOf(request: Request): RunCaller {
  const env: NodeJS.ProcessEnv = {};
  for (const entry of request.env ?? []) {
    const equals = entry.indexOf('=');
    if (equals > 0) env[entry.slice(0, equals)] = entry.slice(equals + 1);
  }
  return { env, cwd: request.cwd ?? '/' };
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
  routeOutput();
  serve(home);
}
