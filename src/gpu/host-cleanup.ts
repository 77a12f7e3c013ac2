import type { GpuHostConfig } from '../config.js';
import type { Db } from '../db/client.js';
import { findReferencedSha256, listRunsOfJobs, type JobRunState } from '../db/queries/cleanup.js';
import { batchJobKey, listJobsAndCache, listOurContainers, runJobKey } from './host-leftovers.js';
import { isOpenRunStatus } from '../db/schema.js';
import { HostUnreachableError } from './remote-command-error.js';
import type { GpuHostTransport } from './transport.js';

export type CleanupKind = 'container' | 'job_folder' | 'cache_file';

export interface CleanupItem {
  kind: CleanupKind;
  /** The container's name, or the exact path on the host. */
  name: string;
  /** docker's container id; null for files. */
  id: string | null;
  /** The job it belongs to (a run id or `<batch id>-<n>`); null for a cache file. */
  jobKey: string | null;
  /** A container's writable layer (SizeRw), a folder's apparent size (as `du -sb`), a file's size. */
  bytes: number;
  /** Since when nothing needs it: the container's FinishedAt, the job's last completed_at, the cache file's mtime. */
  since: string | null;
}

/** Why things were left: how many of each. */
export interface KeptCounts {
  /** A container or folder whose job has a pending or running run, or a live container. */
  open: number;
  /** Not older than --older-than. */
  recent: number;
  /** A completed run whose outputs are not recorded as downloaded and verified. */
  unverified: number;
  /** No run of this database has that job (another orchestrator's, or a deleted run's): never touched. */
  unknown: number;
  /** A cache file a prompt, a run's outputs or the inputs of an unfinished job still name. */
  referenced: number;
}

export interface HostCleanup {
  host: string;
  /** Why the host could not be read; nothing was removed from it then. */
  error: string | null;
  /** What is (or, in a plan, would be) removed. */
  items: CleanupItem[];
  bytes: number;
  kept: KeptCounts;
  /** What could not be removed, with the host's answer. */
  failed: { item: CleanupItem; error: string }[];
}

export interface CleanupOptions { olderThanMs: number; now?: number }

type JobVerdict = { verdict: 'finished'; finishedAt: Date } | { verdict: 'open' | 'unverified' | 'unknown' };

/**
 * What `cosmos clean` would remove from one host: stopped containers of ours and job folders whose runs are all
 * finished (failed, cancelled, or completed with verified outputs), and cache files nothing names, each older than
 * the cutoff. Nothing of a job with an open run or a live container is ever chosen. Removes nothing.
 */
export async function planHostCleanup(db: Db, host: GpuHostConfig, transport: GpuHostTransport, options: CleanupOptions): Promise<HostCleanup> {
  const plan: HostCleanup = { host: host.name, error: null, items: [], bytes: 0, kept: { open: 0, recent: 0, unverified: 0, unknown: 0, referenced: 0 }, failed: [] };
  try {
    const [containers, files] = await Promise.all([listOurContainers(host, transport), listJobsAndCache(host, transport)]);
    const cutoff = (options.now ?? Date.now()) - options.olderThanMs;
    const keys = [...new Set([...containers.stopped.map((c) => c.jobKey), ...files.jobs.map((j) => j.jobKey)])];
    const verdicts = judgeJobs(keys, await listRunsOfJobs(db, keys.filter((k) => runJobKey.test(k)), batchIdsOf(keys)));
    const reasonToKeep = (jobKey: string, since: Date | null): keyof KeptCounts | null => {
      if (containers.liveJobKeys.has(jobKey)) return 'open';
      const verdict = verdicts.get(jobKey) ?? { verdict: 'unknown' };
      if (verdict.verdict !== 'finished') return verdict.verdict;
      return since === null || since.getTime() > cutoff ? 'recent' : null;
    };
    const add = (item: CleanupItem) => { plan.items.push(item); plan.bytes += item.bytes; };

    for (const c of containers.stopped) {
      const reason = reasonToKeep(c.jobKey, c.stoppedAt);
      if (reason) plan.kept[reason] += 1;
      else add({ kind: 'container', name: c.name, id: c.id, jobKey: c.jobKey, bytes: c.bytes, since: iso(c.stoppedAt) });
    }
    const linkedByKept = new Set<string>();
    for (const job of files.jobs) {
      const verdict = verdicts.get(job.jobKey);
      const finishedAt = verdict?.verdict === 'finished' ? verdict.finishedAt : null;
      const reason = reasonToKeep(job.jobKey, finishedAt);
      if (reason) {
        plan.kept[reason] += 1;
        // An unfinished job may still read its inputs; a finished one (recent or not ours) never will.
        if (reason === 'open' || reason === 'unverified') for (const sha of job.linkedSha256) linkedByKept.add(sha);
      } else add({ kind: 'job_folder', name: job.path, id: null, jobKey: job.jobKey, bytes: job.bytes, since: iso(finishedAt) });
    }
    const referenced = await findReferencedSha256(db, files.cache.map((f) => f.sha256));
    for (const file of files.cache) {
      if (referenced.has(file.sha256) || linkedByKept.has(file.sha256)) plan.kept.referenced += 1;
      else if (file.modifiedAt.getTime() > cutoff) plan.kept.recent += 1;
      else add({ kind: 'cache_file', name: file.path, id: null, jobKey: null, bytes: file.bytes, since: iso(file.modifiedAt) });
    }
  } catch (error) {
    plan.error = (error as Error).message;
    plan.items = [];
    plan.bytes = 0;
  }
  return plan;
}

/**
 * Removes what was approved (a plan's items) and still qualifies: the host is listed and judged again first, so
 * a job that opened since the plan, or an item that changed, is left. Only the exact listed paths are removed
 * (`rm -rf` of a folder removes the links inside it, never what they point to).
 */
export async function cleanHost(db: Db, host: GpuHostConfig, transport: GpuHostTransport, approved: CleanupItem[], options: CleanupOptions): Promise<HostCleanup> {
  const fresh = await planHostCleanup(db, host, transport, options);
  const wanted = new Set(approved.map(identity));
  const todo = fresh.items.filter((item) => wanted.has(identity(item)));
  const result: HostCleanup = { ...fresh, items: [], bytes: 0, failed: [] };
  if (fresh.error) return result;
  const done = (item: CleanupItem) => { result.items.push(item); result.bytes += item.bytes; };
  const fail = (item: CleanupItem, error: unknown) => result.failed.push({ item, error: (error as Error).message });
  const run = (argv: string[]) => transport.exec(argv, { timeoutMs: 600_000 });

  for (const item of todo.filter((i) => i.kind === 'container')) {
    // Without -f: a container that was started again meanwhile is refused by docker; -v takes its anonymous volumes.
    await run([host.docker, 'rm', '-v', item.id!]).then(() => done(item), (error: unknown) => fail(item, error));
  }
  for (const item of todo.filter((i) => i.kind === 'job_folder')) {
    await run(['rm', '-rf', '--one-file-system', '--', item.name]).then(() => done(item), (error: unknown) => fail(item, error));
  }
  const files = todo.filter((i) => i.kind === 'cache_file');
  for (let at = 0; at < files.length; at += 200) {
    const chunk = files.slice(at, at + 200);
    try {
      await run(['rm', '-f', '--', ...chunk.map((f) => f.name)]);
      chunk.forEach(done);
    } catch (error) {
      if (error instanceof HostUnreachableError) throw error;
      // Some may have gone: what is still there failed.
      for (const item of chunk) if (await transport.stat(item.name).then((s) => s !== null, () => true)) fail(item, error); else done(item);
    }
  }
  return result;
}

const identity = (item: CleanupItem) => `${item.kind}\0${item.name}\0${item.id ?? ''}`;
const iso = (date: Date | null) => (date ? date.toISOString() : null);

function batchIdsOf(keys: string[]): string[] {
  return [...new Set(keys.map((key) => batchJobKey.exec(key)?.[1]).filter((id): id is string => id !== undefined))];
}

/** A job is finished when it has runs and every one is failed, cancelled, or completed with its outputs recorded. */
function judgeJobs(keys: string[], runs: JobRunState[]): Map<string, JobVerdict> {
  const verdicts = new Map<string, JobVerdict>();
  for (const key of keys) {
    const batchId = batchJobKey.exec(key)?.[1];
    const members = batchId ? runs.filter((r) => r.batchId === batchId) : runs.filter((r) => r.id === key && runJobKey.test(key));
    if (members.length === 0) verdicts.set(key, { verdict: 'unknown' });
    else if (members.some((r) => isOpenRunStatus(r.status))) verdicts.set(key, { verdict: 'open' });
    else if (members.some((r) => r.status === 'completed' && !r.hasOutputs)) verdicts.set(key, { verdict: 'unverified' });
    else {
      const last = Math.max(...members.map((r) => r.completedAt?.getTime() ?? Number.POSITIVE_INFINITY));
      verdicts.set(key, Number.isFinite(last) ? { verdict: 'finished', finishedAt: new Date(last) } : { verdict: 'unverified' });
    }
  }
  return verdicts;
}
