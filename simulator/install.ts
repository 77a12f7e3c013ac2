import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listContainers, type ContainerStatus } from './container-state.js';
import { isProcessRunning } from './process-alive.js';
import { settingsPath, type SimulatorSettings } from './settings.js';
import { binDir, containersDir, daemonPidPath, sparePidPath } from './sim-home.js';

export type { SimulatorSettings } from './settings.js';
export { readStartRecord, type StartRecord } from './record.js';
export { setFaults, type FaultMode, type FaultRule } from './faults.js';

/** Executables in `<home>/bin` and the compiled script each one runs. */
const SHIMS: Record<string, string> = {
  docker: 'docker.js',
  'nvidia-smi': 'nvidia-smi.js',
  torchrun: 'torchrun.js',
  python: 'cosmos-worker.js',
};

/** The tools the thin client serves (simulator/client/main.go, daemon.ts); `COSMOS_SIM_DAEMON=0` turns it off. */
const CLIENT_TOOLS = new Set(['docker', 'nvidia-smi']);

export interface InstalledSimulator {
  dockerBin: string;
  nvidiaSmiBin: string;
  home: string;
}

export async function installSimulator(home: string, settings: SimulatorSettings): Promise<InstalledSimulator> {
  const absoluteHome = resolve(home);
  const scripts = compiledScriptsDir();
  const client = join(scripts, 'sim-client');
  await mkdir(binDir(absoluteHome), { recursive: true });
  await mkdir(containersDir(absoluteHome), { recursive: true });
  await writeFile(settingsPath(absoluteHome), JSON.stringify(settings, null, 2));
  for (const [name, script] of Object.entries(SHIMS)) {
    const target = join(scripts, script);
    if (!existsSync(target)) {
      throw new Error(`GPU-host simulator is not built: ${target} is missing (run \`npm run build\`)`);
    }
    const shim = join(binDir(absoluteHome), name);
    // docker and nvidia-smi go through the thin client and the home's command daemon when the client is built.
    const viaClient = existsSync(client) && CLIENT_TOOLS.has(name) && process.env.COSMOS_SIM_DAEMON !== '0';
    const command = (viaClient ? [client, name, absoluteHome, process.execPath, scripts] : [process.execPath, target, '--sim-home', absoluteHome])
      .map(quoteForShell).join(' ');
    await writeFile(shim, `#!/bin/sh\nexec ${command} "$@"\n`);
    await chmod(shim, 0o755);
  }
  return {
    dockerBin: join(binDir(absoluteHome), 'docker'),
    nvidiaSmiBin: join(binDir(absoluteHome), 'nvidia-smi'),
    home: absoluteHome,
  };
}

/** Run from `dist/simulator/install.js` the scripts are siblings; run from the TypeScript source they are in `dist/`. */
function compiledScriptsDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  return import.meta.url.endsWith('.ts') ? resolve(here, '..', 'dist', 'simulator') : here;
}

function quoteForShell(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * Kills every running container's process group and its supervisor and waits until they are gone, so the home can be
 * removed without a supervisor writing into it meanwhile (rm would then fail with ENOTEMPTY).
 */
export async function stopSimContainers(home: string, timeoutMs = 5000): Promise<void> {
  const pids: number[] = [];
  for (const { state } of listContainers(resolve(home))) {
    if (state.status !== 'running') continue;
    for (const [pid, target] of [[state.pid, -state.pid], [state.supervisorPid, state.supervisorPid]] as const) {
      if (pid <= 1) continue;
      try {
        process.kill(target, 'SIGKILL');
        pids.push(pid);
      } catch {
        // already gone
      }
    }
  }
  pids.push(...killDaemon(home));
  await waitGone(pids, timeoutMs);
}

/**
 * Stops the home's command daemon and leaves its containers running: the daemon only answers reads, and the next
 * docker or nvidia-smi call starts another.
 */
export async function stopSimDaemon(home: string, timeoutMs = 2000): Promise<void> {
  await waitGone(killDaemon(home), timeoutMs);
}

/** The daemon's pid once killed, and its spare supervisor's, which exits by itself when the daemon is gone. */
function killDaemon(home: string): number[] {
  const daemon = readPidOf(daemonPidPath(resolve(home)), 'daemon.js', home);
  if (daemon === null) return [];
  const spare = readPidOf(sparePidPath(resolve(home)), 'supervisor.js', home);
  try {
    process.kill(daemon, 'SIGKILL');
    return spare === null ? [daemon] : [daemon, spare];
  } catch {
    return []; // already gone
  }
}

async function waitGone(pids: number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(isProcessRunning) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

function readPidOf(pidFile: string, script: string, home: string): number | null {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 1) return null;
    // A pid file outlives its process, and the pid may be another process's by now.
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return command.includes(script) && command.includes(resolve(home)) ? pid : null;
  } catch {
    return null;
  }
}

export interface SimContainer {
  name: string;
  id: string;
  status: ContainerStatus;
  exitCode: number;
  pid: number;
  labels: Record<string, string>;
  /** The host GPUs the container was given (`--gpus device=…`, its CUDA_VISIBLE_DEVICES); with the two times, its device interval. */
  devices: number[];
  startedAt: string;
  finishedAt: string;
}

export async function listSimContainers(home: string): Promise<SimContainer[]> {
  return listContainers(resolve(home)).map(({ config, state }) => ({
    name: config.name,
    id: config.id,
    status: state.status,
    exitCode: state.exitCode,
    pid: state.pid,
    labels: config.labels,
    devices: config.gpuDevices,
    startedAt: state.startedAt,
    finishedAt: state.finishedAt,
  }));
}
