import type { GpuHostConfig } from '../config.js';
import type { Db } from '../db/client.js';
import type { GpuHostTransport } from '../gpu/transport.js';
import type { RunProgressUpdate } from '../workflows/types.js';

export interface GpuHost { config: GpuHostConfig; transport: GpuHostTransport }

export interface ActivityDeps {
  db: Db;
  hosts: ReadonlyMap<string, GpuHost>;
  /** Local artifacts go to `<dataDir>/runs/<run_id>/`. */
  dataDir: string;
  pollIntervalMs: number;
  /** A running container whose log has not grown for this long is killed (the run fails with `timeout`). */
  hangTimeoutMs: number;
  /** How long one activity attempt waits for an unreachable GPU host before it fails (then Temporal retries). */
  hostOutageMs: number;
  /** How long an upload waits for an unreachable host before its job (when another host serves it) moves (default 30 s). */
  hostMoveAfterMs?: number;
  /** How often a worker with jobs waiting for a GPU runs the hosts' fast readiness checks (default 30 s). */
  readinessEveryMs?: number;
  /** Signals a workflow with a run's stage and percent (the worker wires it to a Temporal client). */
  reportProgress?: (workflowId: string, update: RunProgressUpdate) => Promise<void>;
}

export function requireHost(deps: ActivityDeps, name: string): GpuHost {
  const host = deps.hosts.get(name);
  if (!host) throw new Error(`GPU host "${name}" is not configured on this worker (known: ${[...deps.hosts.keys()].join(', ') || 'none'})`);
  return host;
}

export const localRunDir = (deps: ActivityDeps, runId: string) => `${deps.dataDir}/runs/${runId}`;
