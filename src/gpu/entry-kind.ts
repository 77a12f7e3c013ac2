import { constants } from 'node:fs';
import type { EntryKind } from './transport.js';

const kinds: [number, EntryKind][] = [
  [constants.S_IFREG, 'file'], [constants.S_IFDIR, 'directory'], [constants.S_IFLNK, 'symlink'],
  [constants.S_IFIFO, 'fifo'], [constants.S_IFSOCK, 'socket'], [constants.S_IFBLK, 'block_device'],
  [constants.S_IFCHR, 'char_device'],
];

/** The file type bits of a POSIX mode (as lstat and SFTP attributes carry it). */
export function kindOfMode(mode: number | undefined): EntryKind {
  if (typeof mode !== 'number') return 'unknown';
  const type = mode & constants.S_IFMT;
  return kinds.find(([bits]) => bits === type)?.[1] ?? 'unknown';
}
