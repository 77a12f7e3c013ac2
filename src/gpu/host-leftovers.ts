import type { GpuHostConfig } from '../config.js';
import { parseContainerLines } from './host-status.js';
import { cacheDir } from './job-layout.js';
import { HostUnreachableError } from './remote-command-error.js';
import type { GpuHostTransport } from './transport.js';

/** A single run's job is the run id; a batch's container N is `<batch id>-<N>`. */
export const runJobKey = /^rs_[0-9a-f]{32}$/;
export const batchJobKey = /^(bt_[0-9a-f]{32})-\d+$/;
const sha256Name = /^[0-9a-f]{64}$/;
const cacheLink = /(?:^|\/)cosmos-cache\/sha256\/([0-9a-f]{64})$/;

/** One of our containers that no longer runs (exited, dead, or created and never started). */
export interface StoppedContainer { id: string; name: string; jobKey: string; state: string; bytes: number; stoppedAt: Date | null }

export interface JobFolder {
  jobKey: string;
  path: string;
  /** Apparent size of everything in it, the folder itself included (as `du -sb`), no link followed. */
  bytes: number;
  /** The cache files its inputs link to. */
  linkedSha256: Set<string>;
}

export interface CacheFile { sha256: string; path: string; bytes: number; modifiedAt: Date }

export interface HostContainers { stopped: StoppedContainer[]; liveJobKeys: Set<string> }

const stoppedStates = new Set(['exited', 'dead', 'created']);
const zeroTime = /^0001-01-01/;

/** Our containers (label cosmos.run_id): the stopped ones with their writable-layer size, and the jobs still live. */
export async function listOurContainers(host: GpuHostConfig, transport: GpuHostTransport): Promise<HostContainers> {
  const ps = await transport.exec([host.docker, 'ps', '-a', '--no-trunc', '--filter', 'label=cosmos.run_id', '--format', '{{json .}}'], { timeoutMs: 60_000 });
  const all = parseContainerLines(jsonLines(ps.stdout));
  const liveJobKeys = new Set(all.filter((c) => !stoppedStates.has(c.state)).map((c) => c.runId));
  const candidates = all.filter((c) => stoppedStates.has(c.state));
  if (candidates.length === 0) return { stopped: [], liveJobKeys };
  const format = '{"id":{{json .Id}},"name":{{json .Name}},"state":{{json .State.Status}},"created":{{json .Created}},'
    + '"finishedAt":{{json .State.FinishedAt}},"sizeRw":{{json .SizeRw}}}';
  // Exit 1: one went away between the listing and this; the others are still described.
  const inspected = await transport.exec([host.docker, 'inspect', '--size', '--format', format, ...candidates.map((c) => c.id)], { timeoutMs: 120_000, okExitCodes: [1] });
  const details = new Map(jsonLines(inspected.stdout).split('\n').filter(Boolean).map((line) => {
    const row = JSON.parse(line) as { id: string; name: string; state: string; created: string; finishedAt: string; sizeRw: number | null };
    return [row.id, row] as const;
  }));
  const stopped = candidates.flatMap((c) => {
    const row = details.get(c.id);
    if (!row || !stoppedStates.has(row.state)) return [];
    // A container that never started has no FinishedAt (Go's zero time); its creation is when it stopped mattering.
    const when = !row.finishedAt || zeroTime.test(row.finishedAt) ? row.created : row.finishedAt;
    const stoppedAt = Number.isNaN(Date.parse(when)) ? null : new Date(when);
    return [{ id: row.id, name: row.name.replace(/^\//, ''), jobKey: c.runId, state: row.state, bytes: Math.max(0, Number(row.sizeRw) || 0), stoppedAt }];
  });
  return { stopped, liveJobKeys };
}

/** Only whole JSON objects: a line anything else printed (a login file) is not ours. */
function jsonLines(text: string): string {
  return text.split('\n').filter((line) => line.startsWith('{') && line.trimEnd().endsWith('}')).join('\n');
}

export interface HostFiles { jobs: JobFolder[]; cache: CacheFile[] }

/**
 * `<remote_dir>/cosmos-jobs/<job key>/` folders and `<remote_dir>/cosmos-cache/sha256/<sha256>` files, listed with
 * lstat semantics in one `find -P` (a link is an entry of its own, never followed). A root that is missing or is
 * itself a link is not listed at all, so nothing behind it can be chosen.
 */
export async function listJobsAndCache(host: GpuHostConfig, transport: GpuHostTransport): Promise<HostFiles> {
  const jobsRoot = `${host.remote_dir}/cosmos-jobs`;
  const cacheRoot = cacheDir(host.remote_dir);
  const roots = [
    ...(await isRealDirectory(transport, host.remote_dir, 'cosmos-jobs') ? [jobsRoot] : []),
    ...(await isRealDirectory(transport, host.remote_dir, 'cosmos-cache') && await isRealDirectory(transport, `${host.remote_dir}/cosmos-cache`, 'sha256') ? [cacheRoot] : []),
  ];
  if (roots.length === 0) return { jobs: [], cache: [] };
  const { stdout } = await transport.exec(['find', '-P', ...roots, '-mindepth', '1', '-printf', '%H\\0%y\\0%s\\0%T@\\0%P\\0%l\\0'], { timeoutMs: 300_000 });
  const fields = stdout.split('\0');
  const jobs = new Map<string, JobFolder & { isFolder: boolean }>();
  const cache: CacheFile[] = [];
  for (let i = 0; i + 6 <= fields.length; i += 6) {
    const [root, type, size, mtime, relPath = '', target = ''] = fields.slice(i, i + 6);
    const bytes = Number(size) || 0;
    const slash = relPath.indexOf('/');
    if (root === cacheRoot) {
      if (slash < 0 && type === 'f' && sha256Name.test(relPath)) {
        cache.push({ sha256: relPath, path: `${cacheRoot}/${relPath}`, bytes, modifiedAt: new Date(Number(mtime) * 1000) });
      }
      continue;
    }
    if (root !== jobsRoot) continue;
    const jobKey = slash < 0 ? relPath : relPath.slice(0, slash);
    if (!runJobKey.test(jobKey) && !batchJobKey.test(jobKey)) continue;
    let job = jobs.get(jobKey);
    if (!job) jobs.set(jobKey, job = { jobKey, path: `${jobsRoot}/${jobKey}`, bytes: 0, linkedSha256: new Set(), isFolder: false });
    job.bytes += bytes;
    if (slash < 0) job.isFolder = type === 'd';
    const linked = type === 'l' ? cacheLink.exec(target) : null;
    if (linked) job.linkedSha256.add(linked[1]!);
  }
  // A job key that is a file or a link (not a folder we made) is left alone.
  const folders = [...jobs.values()].filter((job) => job.isFolder).map(({ isFolder: _, ...job }) => job);
  return { jobs: folders, cache };
}

async function isRealDirectory(transport: GpuHostTransport, parent: string, name: string): Promise<boolean> {
  const entries = await transport.listDir(parent).catch((error: unknown) => {
    if (error instanceof HostUnreachableError) throw error;
    return [];
  });
  return entries.some((entry) => entry.name === name && entry.kind === 'directory');
}
