import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from './atomic-write.js';
import { nowRfc3339Nano, ZERO_TIME } from './clock.js';
import { isProcessRunning } from './process-alive.js';
import { containerDir, containersDir } from './sim-home.js';

export interface BindMount {
  source: string;
  destination: string;
  readOnly: boolean;
}

export interface ContainerConfig {
  id: string;
  name: string;
  created: string;
  image: string;
  entrypoint: string[] | null;
  cmd: string[];
  env: string[];
  labels: Record<string, string>;
  workingDir: string;
  hostWorkingDir: string;
  mounts: BindMount[];
  gpus: string | null;
  gpuDevices: number[];
  ipcMode: string;
  shmSize: string | null;
  user: string;
  network: string;
  autoRemove: boolean;
  /** Run without `-d`: the CLI that waits for it removes a `--rm` container once it has forwarded the output. */
  attached?: boolean;
  dockerArgv: string[];
}

export type ContainerStatus = 'created' | 'running' | 'exited';

export interface ContainerState {
  status: ContainerStatus;
  pid: number;
  exitCode: number;
  error: string;
  startedAt: string;
  finishedAt: string;
  supervisorPid: number;
}

export interface Container {
  config: ContainerConfig;
  state: ContainerState;
}

export function initialState(): ContainerState {
  return { status: 'created', pid: 0, exitCode: 0, error: '', startedAt: ZERO_TIME, finishedAt: ZERO_TIME, supervisorPid: 0 };
}

export function configPath(dir: string): string {
  return join(dir, 'config.json');
}

export function statePath(dir: string): string {
  return join(dir, 'state.json');
}

export function logPath(home: string, name: string): string {
  return join(containerDir(home, name), 'log.jsonl');
}

export function writeState(home: string, name: string, state: ContainerState): void {
  writeJsonAtomic(statePath(containerDir(home, name)), state);
}

/**
 * What a file held when it was last read, by path: a container's config is written once and its state replaced by a
 * rename (a new inode), so the same inode, size and mtime mean the same content. The command daemon answers
 * `docker ps` and nvidia-smi from every container's two files; this makes each a stat instead of a parse.
 * Callers treat what they get as read-only.
 */
const lastRead = new Map<string, { key: string; value: unknown }>();
const maxRemembered = 4096;

function readJson<T>(path: string): T | undefined {
  try {
    const stat = statSync(path, { bigint: true });
    const key = `${stat.ino}:${stat.size}:${stat.mtimeNs}`;
    const known = lastRead.get(path);
    if (known?.key === key) return known.value as T;
    const value = JSON.parse(readFileSync(path, 'utf8')) as T;
    if (lastRead.size >= maxRemembered) lastRead.clear();
    lastRead.set(path, { key, value });
    return value;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** A container whose supervisor died without recording the exit is reported as exited, like a crashed shim. */
function readContainer(home: string, name: string): Container | undefined {
  const dir = containerDir(home, name);
  const config = readJson<ContainerConfig>(configPath(dir));
  const state = readJson<ContainerState>(statePath(dir));
  if (!config || !state) return undefined;
  if (state.status === 'running' && !isProcessRunning(state.supervisorPid)) {
    const again = readJson<ContainerState>(statePath(dir));
    if (again?.status === 'running') {
      return {
        config,
        state: { ...again, status: 'exited', pid: 0, exitCode: 255, error: 'simulator supervisor died', finishedAt: nowRfc3339Nano() },
      };
    }
    return again ? { config, state: again } : undefined;
  }
  return { config, state };
}

export function listContainers(home: string): Container[] {
  const dir = containersDir(home);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => !name.startsWith('.'))
    .map((name) => readContainer(home, name))
    .filter((container): container is Container => container !== undefined)
    .sort((a, b) => b.config.created.localeCompare(a.config.created));
}

/** Looks a container up by name (with or without the leading "/"), full id or unique id prefix, like Docker. */
export function findContainer(home: string, reference: string): Container | undefined {
  const name = reference.replace(/^\//, '');
  if (/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) {
    const byName = readContainer(home, name);
    if (byName) return byName;
  }
  if (!/^[0-9a-f]+$/.test(reference)) return undefined;
  const matches = listContainers(home).filter((container) => container.config.id.startsWith(reference));
  return matches.length === 1 ? matches[0] : undefined;
}

export async function waitForExit(home: string, name: string, timeoutMs = Infinity): Promise<Container | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const container = readContainer(home, name);
    if (!container || container.state.status !== 'running' || Date.now() > deadline) return container;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
