import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLogLines } from '../../src/client/api/log-lines.js';
import { parseCursor } from '../../src/client/api/routes/run-events.js';
import { parseRange } from '../../src/client/api/serve-file.js';
import { isLoopback } from '../../src/client/api/server.js';

describe('parseRange', () => {
  it.each([
    ['bytes=0-99', { start: 0, end: 99 }],
    ['bytes=100-', { start: 100, end: 999 }],
    ['bytes=-10', { start: 990, end: 999 }],
    ['bytes=-5000', { start: 0, end: 999 }],
    ['bytes=900-5000', { start: 900, end: 999 }],
    ['bytes=1000-', 'unsatisfiable'],
    ['bytes=50-10', 'unsatisfiable'],
    ['bytes=-0', 'unsatisfiable'],
    ['bytes=0-1,5-9', null],
    ['items=0-1', null],
    [undefined, null],
  ] as const)('reads %s against 1000 bytes as %j', (header, expected) => {
    expect(parseRange(header, 1000)).toEqual(expected);
  });
});

describe('parseCursor', () => {
  it('reads "<event id>.<log offset>" and starts from the beginning on anything else', () => {
    expect(parseCursor('42.1337')).toEqual({ eventId: 42, logOffset: 1337 });
    expect(parseCursor('garbage')).toEqual({ eventId: 0, logOffset: 0 });
    expect(parseCursor(undefined)).toEqual({ eventId: 0, logOffset: 0 });
  });
});

describe('isLoopback', () => {
  it('accepts 127.0.0.0/8, ::1 and localhost only', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost'].map(isLoopback)).toEqual([true, true, true, true]);
    expect(['0.0.0.0', '::', '10.0.0.5', '127.example.com'].map(isLoopback)).toEqual([false, false, false, false]);
  });
});

describe('readLogLines', () => {
  let dir: string;
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'cosmos-log-lines-')); });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('returns complete lines with the offset after each, holds back a partial line, and keeps the last state of a \\r bar', async () => {
    const path = join(dir, 'run.log');
    await writeFile(path, 'first\nbar 10%\rbar 50%\rbar 100%\nhalf a li');
    const lines = await readLogLines(path, 0, 4096, false);
    expect(lines).toEqual([{ text: 'first', end: 6 }, { text: 'bar 100%', end: 31 }]);
    expect(await readLogLines(path, 31, 4096, false)).toEqual([]);
    expect(await readLogLines(path, 31, 4096, true)).toEqual([{ text: 'half a li', end: 40 }]);
    expect(await readLogLines(join(dir, 'absent.log'), 0, 4096, false)).toEqual([]);
  });

  it('splits a line longer than the window instead of stalling on it', async () => {
    const path = join(dir, 'long.log');
    await writeFile(path, `${'x'.repeat(100)}\n`);
    expect(await readLogLines(path, 0, 40, false)).toEqual([{ text: 'x'.repeat(40), end: 40 }]);
  });
});
