import { describe, expect, it } from 'vitest';
import { checkOutputEntries } from '../../src/activities/output-entries.js';
import type { DirEntry, EntryKind } from '../../src/gpu/transport.js';

const limits = { host: 'gpu1', maxFileBytes: 1000, maxRunBytes: 1500 };
const entry = (name: string, kind: EntryKind = 'file', size = 10): DirEntry => ({ name, kind, size, isDirectory: kind === 'directory' });

// A hostile SFTP server (or a filesystem bug) is the only way to get these names; real hosts are tested end to end.
describe('checkOutputEntries', () => {
  it('keeps regular files and skips hidden entries and sub-folders, as the download always did', () => {
    const kept = checkOutputEntries([entry('output.mp4'), entry('.partial'), entry('video_0', 'directory'), entry('output.txt')], limits);
    expect(kept.map((e) => e.name)).toEqual(['output.mp4', 'output.txt']);
  });

  it.each([
    ['a name with a slash', entry('../../.ssh/id_ed25519'), /has the name "..\/..\/.ssh\/id_ed25519", which is not a plain file name/],
    ['a name with a NUL byte', entry('a\0b'), /which is not a plain file name/],
    ['a block device', entry('sda', 'block_device'), /output sda on gpu1 is a block device/],
    ['a character device', entry('zero', 'char_device'), /is a character device/],
    ['a socket', entry('s', 'socket'), /is a socket/],
    ['an entry of unknown type', entry('x', 'unknown'), /is not a regular file/],
  ])('refuses %s as output_invalid', (_what, bad, message) => {
    const failure = (() => { try { checkOutputEntries([entry('output.mp4'), bad], limits); } catch (error) { return error as { type?: string; message: string }; } return null; })();
    expect(failure?.message).toMatch(message);
    expect(failure?.type).toBe('output_invalid');
  });

  it('counts the run cap over the files it keeps, in name order', () => {
    expect(() => checkOutputEntries([entry('b', 'file', 800), entry('a', 'file', 800)], limits)).toThrow(/output b on gpu1 brings the run's outputs to 1600 bytes/);
    expect(checkOutputEntries([entry('a', 'file', 1000), entry('.big', 'file', 10_000)], limits)).toHaveLength(1);
  });
});
