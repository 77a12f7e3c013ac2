import type { ControlChange, QueueReport } from '../queue.js';
import { formatTable, truncate } from './format.js';
import type { Output } from './output.js';

/** `45s`, `3m 05s`, `2h 10m`. */
export function formatSeconds(total: number): string {
  const s = Math.max(0, Math.round(total));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

const estimate = (value: number | null, prefix: string) => (value === null ? '?' : `${prefix}~${formatSeconds(value)}`);

/** The running jobs, then the waiting ones in queue order, in one table, with the state of the queue and its hosts above. */
export function printQueue(report: QueueReport, out: Output): void {
  const state = report.paused ? `${out.yellow('paused')} (no new GPU leases; \`cosmos queue resume\`)` : out.green('open');
  out.line(`queue ${state} · ${report.running.length} running, ${report.waiting.length} waiting`);
  for (const h of report.hosts) {
    const notes = [h.paused ? out.yellow('paused') : '', h.drained ? out.yellow('drained') : '', h.unreachableSince ? out.red(`unreachable since ${h.unreachableSince}`) : '',
      ...describeNotReady(h.notReady).map((text) => out.red(text)),
      ...h.blocked.map((b) => `GPU ${b.device} left alone until ${b.until}: ${b.reason}`)].filter(Boolean);
    out.line(`  ${out.bold(h.host)}: ${h.leased.length} of ${h.gpus.length} GPUs leased${notes.length ? ` · ${notes.join(' · ')}` : ''}`);
  }
  if (report.running.length + report.waiting.length === 0) {
    out.line(out.dim('nothing is running or waiting for a GPU'));
    return;
  }
  const rows = [
    ...report.running.map((j) => [
      out.green('run'), jobLabel(j.jobKey, j.runIds), j.modelType, String(j.priority), '-',
      `${j.host} GPU ${j.devices.join(',')}`, formatSeconds(j.elapsedSeconds), estimate(j.remainingSeconds, 'ends in '),
    ]),
    ...report.waiting.map((j) => [
      String(j.position), jobLabel(j.jobKey, j.runIds), j.modelType, String(j.priority), formatSeconds(j.waitedSeconds),
      truncate(`${j.pinnedHost ? `pinned to ${j.pinnedHost}; ` : ''}${j.waitingFor ?? 'not yet looked at by a scheduling pass'}`, 70), '-',
      j.estimatedStartAt === null ? (report.paused ? 'paused' : '?') : `${estimate(j.estimatedWaitSeconds, 'starts in ')}${j.estimatedHost ? ` on ${j.estimatedHost}` : ''}`,
    ]),
  ];
  out.line();
  for (const line of formatTable(['#', 'JOB', 'MODEL', 'PRI', 'WAITED', 'WAITING FOR / HOST+GPUS', 'ELAPSED', 'ETA'], rows, out)) out.line(line);
  out.line(out.dim('ETA: median container time of finished jobs of the same model type and size (`--json` has the basis of each)'));
}

function jobLabel(jobKey: string, runIds: string[]): string {
  return runIds.length > 1 ? `${jobKey} (${runIds.length} runs)` : jobKey;
}

/** One line saying what changed (or that nothing did) and what it means for the jobs there. */
export function describeChange(change: ControlChange, action: 'pause' | 'resume' | 'drain' | 'undrain'): string {
  const where = change.host === '*' ? 'the whole queue' : `host ${change.host}`;
  const jobs = action === 'pause' || action === 'drain' ? `${change.running} running job(s) go on, ${change.waiting} waiting` : `${change.running} running, ${change.waiting} waiting`;
  const done = { pause: 'paused', resume: 'resumed', drain: 'drained', undrain: 'undrained' }[action];
  if (!change.changed) return `${where} was already ${action === 'resume' ? 'not paused' : action === 'undrain' ? 'not drained' : done}; nothing changed (${jobs})`;
  const meaning = {
    pause: 'no new GPU leases', resume: 'GPU leases are granted again', drain: 'what runs there finishes, nothing new starts there',
    undrain: 'it takes new work again',
  }[action];
  return `${done} ${where}: ${meaning} (${jobs})`;
}

/** "not ready: …" for the whole host, else one "not ready for <model>: …" per model type it cannot serve now. */
function describeNotReady(notReady: QueueReport['hosts'][number]['notReady']): string[] {
  if (!notReady) return [];
  if (notReady.host) return [`not ready: ${notReady.host}`];
  return Object.entries(notReady.models).map(([model, why]) => `not ready for ${model}: ${why}`);
}
