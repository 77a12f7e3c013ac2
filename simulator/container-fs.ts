import { lstatSync, readlinkSync, statSync } from 'node:fs';
import { posix } from 'node:path';

/** How the container sees the host: its bind mounts, working directory and private root filesystem. */
export interface ContainerFs {
  mounts: { source: string; destination: string }[];
  workdir: string;
  rootfs: string;
}

export const CONTAINER_FS_ENV = 'COSMOS_SIM_FS';

function readContainerFs(): ContainerFs | undefined {
  const text = process.env[CONTAINER_FS_ENV];
  return text ? (JSON.parse(text) as ContainerFs) : undefined;
}

function toHost(fs: ContainerFs, containerPath: string): string {
  const mount = fs.mounts
    .filter((m) => containerPath === m.destination || containerPath.startsWith(`${m.destination.replace(/\/$/, '')}/`))
    .sort((a, b) => b.destination.length - a.destination.length)[0];
  if (!mount) return posix.join(fs.rootfs, containerPath);
  return mount.source + containerPath.slice(mount.destination.length);
}

/** Where a file the model writes lands on the host (outside every mount: the container's own, disposable fs). */
export function hostPathForWrite(path: string): string {
  const fs = readContainerFs();
  if (!fs) return path;
  return toHost(fs, posix.resolve(fs.workdir, path));
}

/**
 * The host path of a file the model reads, or undefined when the container cannot see it. Symlinks are followed
 * as inside the container: an absolute target is a container path, so a link to a host-only path is broken.
 */
export function hostPathForRead(path: string): string | undefined {
  const fs = readContainerFs();
  if (!fs) return existsOnHost(path) ? path : undefined;
  let pending = posix.resolve(fs.workdir, path).split('/').filter(Boolean);
  let current = '/';
  for (let hops = 0; pending.length > 0; ) {
    const next = posix.join(current, pending.shift() ?? '');
    const host = toHost(fs, next);
    const stats = lstatSync(host, { throwIfNoEntry: false });
    // Docker creates the missing parents of a mount point in the container: `-v /a/b:/a/b` makes `/a` exist.
    if (!stats && fs.mounts.some((m) => m.destination.startsWith(`${next}/`))) {
      current = next;
      continue;
    }
    if (!stats) return undefined;
    if (!stats.isSymbolicLink()) {
      current = next;
      continue;
    }
    if (++hops > 40) return undefined;
    const target = posix.resolve(posix.dirname(next), readlinkSync(host));
    pending = [...target.split('/').filter(Boolean), ...pending];
    current = '/';
  }
  return toHost(fs, current);
}

function existsOnHost(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false }) !== undefined;
}
