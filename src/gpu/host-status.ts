import type { GpuHostConfig } from '../config.js';
import type { Db } from '../db/client.js';
import { listRunningRunsOnHost } from '../db/queries/maintenance.js';
import type { GpuHostTransport } from './transport.js';

/** A reading nvidia-smi gives as `[N/A]` (MIG, unified memory) or `[Not Supported]` is null: unknown, not 0. */
export interface GpuStatus { index: number; name: string; memoryUsedMiB: number | null; memoryTotalMiB: number | null; utilizationPercent: number | null }

export interface HostContainer { id: string; name: string; runId: string; image: string; state: string; status: string }

export interface ZombieRun { id: string; modelType: string; stage: string | null; containerName: string | null; startedAt: Date | null }

export interface HostStatus {
  host: string;
  reachable: boolean;
  /** Why the host could not be read (unreachable, docker or nvidia-smi failing); null when all went well. */
  error: string | null;
  gpus: GpuStatus[];
  /** Every container labelled cosmos.run_id, running or exited. */
  containers: HostContainer[];
  /** Running containers whose run the database does not consider running. */
  orphanContainers: HostContainer[];
  /** Runs the database calls running on this host, past the upload, whose container does not exist. */
  zombieRuns: ZombieRun[];
}

const gpuQuery = ['--query-gpu=index,name,memory.used,memory.total,utilization.gpu', '--format=csv,noheader,nounits'];

/** Reads the host's GPUs and our containers, and matches the containers against the runs the database has running. */
export async function collectHostStatus(db: Db, host: GpuHostConfig, transport: GpuHostTransport): Promise<HostStatus> {
  const status: HostStatus = { host: host.name, reachable: true, error: null, gpus: [], containers: [], orphanContainers: [], zombieRuns: [] };
  const runningRuns = await listRunningRunsOnHost(db, host.name);
  try {
    const [smi, ps] = await Promise.all([
      transport.exec([host.nvidia_smi, ...gpuQuery], { timeoutMs: 30_000 }),
      transport.exec([host.docker, 'ps', '-a', '--filter', 'label=cosmos.run_id', '--format', '{{json .}}'], { timeoutMs: 30_000 }),
    ]);
    status.gpus = parseGpuCsv(smi.stdout);
    status.containers = parseContainerLines(ps.stdout);
  } catch (error) {
    status.reachable = false;
    status.error = (error as Error).message;
    return status;
  }
  const runningIds = new Set(runningRuns.map((run) => run.id));
  const containerRunIds = new Set(status.containers.map((c) => c.runId));
  status.orphanContainers = status.containers.filter((c) => c.state === 'running' && !runningIds.has(c.runId));
  status.zombieRuns = runningRuns
    .filter((run) => run.stage !== 'queued' && run.stage !== 'uploading' && !containerRunIds.has(run.id))
    .map((run) => ({ id: run.id, modelType: run.modelType, stage: run.stage, containerName: run.containerName, startedAt: run.startedAt }));
  return status;
}

/** `nvidia-smi --query-gpu=index,name,memory.used,memory.total,utilization.gpu --format=csv,noheader,nounits` */
export function parseGpuCsv(text: string): GpuStatus[] {
  return text.split('\n').map((line) => line.trim()).filter(Boolean).map((line) => {
    const cells = line.split(',').map((cell) => cell.trim());
    if (cells.length < 5) throw new Error(`unexpected nvidia-smi line: ${line}`);
    // A GPU name may itself hold commas; the numeric fields are the first one and the last three.
    const [index, ...rest] = cells;
    const [used, total, util] = rest.slice(-3);
    const reading = (value: string | undefined) => (value === undefined || value === '' || Number.isNaN(Number(value)) ? null : Number(value));
    return {
      index: Number(index), name: rest.slice(0, -3).join(', '),
      memoryUsedMiB: reading(used), memoryTotalMiB: reading(total), utilizationPercent: reading(util),
    };
  });
}

/** `docker ps --format '{{json .}}'`: one JSON object per line; Labels is "k=v,k=v". */
export function parseContainerLines(text: string): HostContainer[] {
  return text.split('\n').filter((line) => line.trim() !== '').map((line) => {
    const row = JSON.parse(line) as Record<string, string>;
    const labels = Object.fromEntries(String(row.Labels ?? '').split(',').filter(Boolean).map((pair) => {
      const at = pair.indexOf('=');
      return at < 0 ? [pair, ''] : [pair.slice(0, at), pair.slice(at + 1)];
    }));
    return {
      id: String(row.ID ?? ''), name: String(row.Names ?? ''), runId: labels['cosmos.run_id'] ?? '',
      image: String(row.Image ?? ''), state: String(row.State ?? ''), status: String(row.Status ?? ''),
    };
  });
}
