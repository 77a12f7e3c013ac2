import type { GpuHostConfig } from '../../config.js';
import type { ModelType, PlanContext } from '../../models/index.js';
import type { GpuOccupancy } from '../gpu-occupancy.js';
import type { HostContainer } from '../gpu-allocation.js';
import type { GpuHostTransport } from '../transport.js';

export type Verdict = 'ok' | 'warn' | 'fail';

/** One line of a host's checklist: what was checked (and of what), the verdict, what was found, what to do. */
export interface DoctorCheck {
  check: string;
  subject: string | null;
  verdict: Verdict;
  detail: string;
  hint: string | null;
}

/** A model type the host serves, with the host's settings for it. */
export interface ServedModel { model: ModelType; settings: PlanContext['host'] }

/** What every check reads: the host, its transport, what it serves, and what earlier checks learnt. */
export interface DoctorContext {
  host: GpuHostConfig;
  transport: GpuHostTransport;
  /** The SSH user (or the local user), as the worker runs commands. */
  user: string;
  served: ServedModel[];
  deep: boolean;
  /** nvidia-smi's GPUs with their compute processes; null when nvidia-smi could not be read. */
  gpus: GpuOccupancy[] | null;
  /** Our containers (label cosmos.gpus) as docker lists them; null when docker could not be read. */
  ours: HostContainer[] | null;
}

export const ok = (check: string, subject: string | null, detail: string): DoctorCheck => ({ check, subject, verdict: 'ok', detail, hint: null });
export const warn = (check: string, subject: string | null, detail: string, hint: string | null): DoctorCheck => ({ check, subject, verdict: 'warn', detail, hint });
export const fail = (check: string, subject: string | null, detail: string, hint: string): DoctorCheck => ({ check, subject, verdict: 'fail', detail, hint });

/** Every exit code resolves: the check reads it. */
export const anyExitCode = Array.from({ length: 255 }, (_, i) => i + 1);

/** The last line of a command's stderr (or stdout), for a detail line. */
export function lastLine(text: string): string {
  return text.trim().split('\n').map((line) => line.trim()).filter(Boolean).at(-1) ?? '';
}

export function formatMiB(mib: number): string {
  return mib >= 1024 ? `${(mib / 1024).toFixed(mib >= 10 * 1024 ? 0 : 1)} GiB` : `${Math.round(mib)} MiB`;
}

/** "a, b, c (+4 more)" */
export function listSome(items: string[], max = 4): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} (+${items.length - max} more)`;
}
