import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { nowRfc3339Nano } from './clock.js';
import { CONTAINER_FS_ENV, type ContainerFs } from './container-fs.js';
import {
  configPath, initialState, logPath, statePath, writeState, type ContainerConfig, type ContainerState,
} from './container-state.js';
import { createLogWriter } from './log-store.js';
import { appendStartRecord } from './record.js';
import { containerDir, parseSimHome } from './sim-home.js';

/**
 * The "container": a detached process (own session, started by `docker run`) that runs the command in its own
 * process group, keeps the log and records the state until the command exits. `--spare`: started ahead by the
 * command daemon (supervisor-start.ts), it reads the container's name from stdin, and exits when stdin ends first.
 */
const { home, args } = parseSimHome(process.argv.slice(2));
const name = args[0] === '--spare' ? await readSpareName() : args[0] ?? '';
const config = JSON.parse(readFileSync(configPath(containerDir(home, name)), 'utf8')) as ContainerConfig;
const [command = '/bin/bash', ...commandArgs] = [...(config.entrypoint ?? []), ...config.cmd];
const log = createLogWriter(logPath(home, name));
const baseState: ContainerState = { ...initialState(), supervisorPid: process.pid };

const child = spawn(command, commandArgs, {
  cwd: config.hostWorkingDir,
  env: containerEnv(config),
  detached: true,
  stdio: ['ignore', 'pipe', 'pipe'],
});

/**
 * runc cannot exec the command: the daemon wraps its error (moby daemon/internal/libcontainerd/remote/client.go:233
 * "failed to create task for container", containerd's "failed to create shim task", runc's "OCI runtime create
 * failed: runc create failed: unable to start container process") and sets ExitCode 127 for a missing command, 126 for
 * one it may not run (daemon/errors.go:116-176); the container stays `created`.
 */
child.on('error', (error: NodeJS.ErrnoException) => {
  const denied = error.code === 'EACCES';
  const reason = error.code === 'ENOENT'
    ? `exec: "${command}": executable file not found in $PATH`
    : denied ? `exec: "${command}": permission denied` : `exec: "${command}": ${error.message}`;
  const error_ = `failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: ${reason}: unknown`;
  writeState(home, name, { ...baseState, exitCode: denied ? 126 : 127, error: error_ });
  process.exit(0);
});

child.on('spawn', () => {
  const startedAt = nowRfc3339Nano();
  writeState(home, name, { ...baseState, status: 'running', pid: child.pid ?? 0, startedAt });
  appendStartRecord(home, {
    id: config.id, name, labels: config.labels, startedAt, pid: child.pid ?? 0, argv: config.dockerArgv,
  });
});

child.stdout.on('data', (chunk: Buffer) => log.write('stdout', chunk));
child.stderr.on('data', (chunk: Buffer) => log.write('stderr', chunk));

child.on('exit', (code, signal) => {
  const exitCode = code ?? 128 + (signal ? constants.signals[signal] : 0);
  const finishedAt = nowRfc3339Nano();
  // Like Docker tearing down the container: when its main process ends, everything else in it dies too.
  killGroup(child.pid ?? 0);
  const finish = () => {
    log.flush();
    const previous = JSON.parse(readFileSync(statePath(containerDir(home, name)), 'utf8')) as ContainerState;
    writeState(home, name, { ...previous, status: 'exited', pid: 0, exitCode, finishedAt });
    if (config.autoRemove && !config.attached) rmSync(containerDir(home, name), { recursive: true, force: true });
    process.exit(0);
  };
  const timer = setTimeout(finish, 2000);
  child.on('close', () => {
    clearTimeout(timer);
    finish();
  });
});

function killGroup(pid: number): void {
  if (pid <= 1) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // the group is already gone
  }
}

function containerEnv(container: ContainerConfig): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { HOSTNAME: container.id.slice(0, 12), HOME: '/root' };
  if (container.gpuDevices.length > 0) env.CUDA_VISIBLE_DEVICES = container.gpuDevices.join(',');
  for (const entry of container.env) {
    const equals = entry.indexOf('=');
    if (equals > 0) env[entry.slice(0, equals)] = entry.slice(equals + 1);
  }
  env.COSMOS_SIM_CONTAINER = container.name;
  const fs: ContainerFs = {
    mounts: container.mounts.map(({ source, destination }) => ({ source, destination })),
    workdir: container.workingDir,
    rootfs: join(containerDir(home, name), 'rootfs'),
  };
  env[CONTAINER_FS_ENV] = JSON.stringify(fs);
  return env;
}

async function readSpareName(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  const given = text.split('\n')[0] ?? '';
  if (given === '') process.exit(0);
  process.stdin.destroy();
  return given;
}
