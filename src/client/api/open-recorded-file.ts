import { createHash } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { lstat, open, readlink, realpath, type FileHandle } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { ApiError } from './errors.js';

/** A file as the database recorded it. `bytes` and `sha256` are checked when given. */
export interface RecordedFile { path: string; bytes?: number; sha256?: string }

export interface OpenedFile { handle: FileHandle; stats: Stats }

const missing = () => new ApiError(404, 'file_missing', 'the file is recorded but no longer on disk (see `cosmos verify`)');
const changed = (why: string) => new ApiError(409, 'file_changed', `the file changed since it was recorded (${why}); see \`cosmos verify\``);

// Files whose sha256 matched once, by identity; a rewrite changes mtime or ctime and is hashed again.
const verified = new Map<string, string>();
const identity = (stats: Stats) => `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`;

/**
 * Opens a recorded file only if it still is what was recorded: a regular file inside `root` (the run's or the
 * input's directory), reached without a symlink at any step below or at `root` (each step lstat'ed, the file
 * opened O_NOFOLLOW, its real path checked), with the recorded size and, if `checkHash`, the recorded sha256.
 */
export async function openRecordedFile(file: RecordedFile, root: string, options: { checkHash?: boolean } = {}): Promise<OpenedFile> {
  const steps = relative(root, file.path);
  if (steps === '' || steps.startsWith('..') || isAbsolute(steps)) throw changed('it is outside its directory');
  await checkSteps(root, steps.split(sep));
  const realRoot = await realpath(root);
  const handle = await open(file.path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw missing();
    if (error.code === 'ELOOP') throw changed('it is a symlink now');
    throw error;
  });
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw changed('it is no longer a regular file');
    // What the descriptor really is, whatever was swapped in between the checks above and the open.
    const real = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => null);
    if (real !== null && !real.startsWith(`${realRoot}${sep}`)) throw changed('it resolves outside its directory');
    if (file.bytes !== undefined && stats.size !== file.bytes) throw changed(`${stats.size} bytes, recorded ${file.bytes}`);
    if (options.checkHash && file.sha256 && verified.get(file.path) !== identity(stats)) {
      const sha256 = await hashHandle(handle);
      if (sha256 !== file.sha256) throw changed('its sha256 differs from the manifest');
      if (verified.size > 10_000) verified.clear();
      verified.set(file.path, identity(stats));
    }
    return { handle, stats };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

async function checkSteps(root: string, parts: string[]): Promise<void> {
  const rootInfo = await lstat(root).catch(() => null);
  if (!rootInfo) throw missing();
  if (!rootInfo.isDirectory()) throw changed('its directory was replaced');
  let at = root;
  for (const [i, part] of parts.entries()) {
    at = join(at, part);
    const info = await lstat(at).catch(() => null);
    if (!info) throw missing();
    if (info.isSymbolicLink()) throw changed(`${i === parts.length - 1 ? 'it' : part} is a symlink now`);
    if (i < parts.length - 1 ? !info.isDirectory() : !info.isFile()) throw changed('it is no longer a regular file');
  }
}

async function hashHandle(handle: FileHandle): Promise<string> {
  const hash = createHash('sha256');
  const buffer = Buffer.alloc(1024 * 1024);
  for (let position = 0; ;) {
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
    if (bytesRead === 0) return hash.digest('hex');
    hash.update(buffer.subarray(0, bytesRead));
    position += bytesRead;
  }
}
