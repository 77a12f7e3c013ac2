import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from './cli-error.js';
import { nowRfc3339Nano } from './clock.js';
import {
  configPath, findContainer, initialState, statePath, type BindMount, type Container, type ContainerConfig,
} from './container-state.js';
import { failStart, gpuStartError, refuseAtCreate } from './docker-daemon-errors.js';
import { runAttached } from './docker-run-attached.js';
import { parseRunArgs, type RunCaller, type RunRequest } from './docker-run-args.js';
import { readSettings } from './settings.js';
import { binDir, containerDir, containersDir } from './sim-home.js';
import { startSupervisor } from './supervisor-start.js';

export async function runContainer(home: string, args: string[], caller?: RunCaller): Promise<number> {
  const request = parseRunArgs(args, caller);
  refuseAtCreate(home, request);
  const { config, startError } = buildConfig(home, request, args);
  reserveName(home, config);
  if (startError) failStart(home, config, startError);
  if (!request.detach) return runAttached(home, config, () => startSupervisor(home, config.name));
  startSupervisor(home, config.name);
  const container = await waitUntilStarted(home, config.name);
  if (container && container.state.error !== '') {
    throw new CliError(`docker: Error response from daemon: ${container.state.error}.`, container.state.exitCode);
  }
  process.stdout.write(`${config.id}\n`);
  return 0;
}

/** The container config, and why the daemon will fail to start it (the container is still created, as in Docker). */
function buildConfig(home: string, request: RunRequest, dockerArgv: string[]): { config: ContainerConfig; startError: string | null } {
  const id = randomBytes(32).toString('hex');
  // An anonymous volume (`-v /path`) is a fresh empty directory, like Docker's /var/lib/docker/volumes/<id>/_data.
  const mounts = request.mounts.map((mount) =>
    mount.source === '' ? { ...mount, source: join(home, 'volumes', randomBytes(32).toString('hex'), '_data') } : mount,
  );
  const hostWorkingDir = resolveHostPath(mounts, request.workingDir);
  for (const mount of mounts) mkdirSync(mount.source, { recursive: true });
  mkdirSync(hostWorkingDir, { recursive: true });
  const userKeys = new Set(request.env.map((entry) => entry.split('=')[0]));
  const imageEnv = [`PATH=${binDir(home)}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`]
    .filter((entry) => !userKeys.has(entry.split('=')[0]));
  const devices = request.gpus === null ? { ids: [], error: null } : parseGpus(request.gpus, readSettings(home).gpus);
  const config: ContainerConfig = {
    id,
    name: request.name ?? `sim_${id.slice(0, 12)}`,
    created: nowRfc3339Nano(),
    image: request.image,
    entrypoint: request.entrypoint,
    cmd: request.cmd,
    env: [...request.env, ...imageEnv],
    labels: request.labels,
    workingDir: request.workingDir,
    hostWorkingDir,
    mounts,
    gpus: request.gpus,
    gpuDevices: devices.ids,
    ipcMode: request.ipcMode,
    shmSize: request.shmSize,
    user: request.user,
    network: request.network,
    autoRemove: request.autoRemove,
    attached: !request.detach,
    dockerArgv,
  };
  return { config, startError: request.gpus === null ? null : gpuStartError(home) ?? devices.error };
}

/** Only the working directory needs mapping: every path the orchestrator passes is relative to it. */
function resolveHostPath(mounts: BindMount[], containerPath: string): string {
  const mount = mounts
    .filter((m) => containerPath === m.destination || containerPath.startsWith(`${m.destination.replace(/\/$/, '')}/`))
    .sort((a, b) => b.destination.length - a.destination.length)[0];
  if (!mount) {
    throw new CliError(
      `docker: Error response from daemon: simulator: working directory ${containerPath} is not inside a bind mount (-v).`,
      125,
    );
  }
  return mount.source + containerPath.slice(mount.destination.length);
}

/**
 * `all`, a count, `count=N`, or `device=0,1` (usually CSV-quoted as '"device=0,1"'). A device the host does not have
 * is refused by the NVIDIA hook when the container starts (an OCI runtime error), not when it is created.
 */
function parseGpus(spec: string, available: number): { ids: number[]; error: string | null } {
  const value = spec.replace(/^"|"$/g, '');
  const all = Array.from({ length: available }, (_, i) => i);
  if (value === 'all' || value === 'count=all') return { ids: all, error: null };
  const count = /^(?:count=)?(\d+)$/.exec(value);
  if (count) return { ids: all.slice(0, Number(count[1])), error: null };
  const devices = /(?:^|,)device=([\d,]+)/.exec(value);
  if (devices?.[1]) {
    const ids = devices[1].split(',').filter((id) => id !== '').map(Number);
    const unknown = ids.find((id) => id >= available);
    if (unknown !== undefined) {
      return {
        ids,
        error: `failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: error running hook #0: error running hook: exit status 1, stdout: , stderr: Auto-detected mode as 'legacy'\nnvidia-container-cli: device error: ${unknown}: unknown device: unknown`,
      };
    }
    return { ids, error: null };
  }
  throw new CliError(`invalid argument "${spec}" for "--gpus" flag: unexpected key '${value}' in '${spec}'\nSee 'docker run --help'.`, 125);
}

/** The rename of a complete folder onto the name is atomic: of two racing runs exactly one wins. */
function reserveName(home: string, config: ContainerConfig): void {
  mkdirSync(containersDir(home), { recursive: true });
  const staging = containerDir(home, `.staging-${config.id}`);
  mkdirSync(staging);
  writeFileSync(configPath(staging), JSON.stringify(config, null, 2));
  writeFileSync(statePath(staging), JSON.stringify(initialState(), null, 2));
  try {
    renameSync(staging, containerDir(home, config.name));
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
    const existingId = readExistingId(home, config.name);
    throw new CliError(
      `docker: Error response from daemon: Conflict. The container name "/${config.name}" is already in use by container "${existingId}". You have to remove (or rename) that container to be able to reuse that name.\nSee 'docker run --help'.`,
      125,
    );
  }
}

function readExistingId(home: string, name: string): string {
  try {
    return (JSON.parse(readFileSync(configPath(containerDir(home, name)), 'utf8')) as ContainerConfig).id;
  } catch {
    return 'unknown';
  }
}

/** Undefined when a `--rm` container already ran and was removed. */
async function waitUntilStarted(home: string, name: string): Promise<Container | undefined> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const container = findContainer(home, name);
    if (!container || container.state.status !== 'created' || container.state.error !== '') return container;
    if (Date.now() > deadline) {
      throw new CliError(`docker: Error response from daemon: simulator: container ${name} did not start within 30s.`, 125);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
