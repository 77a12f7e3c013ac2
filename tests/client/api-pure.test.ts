import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLogLines } from '../../src/client/api/log-lines.js';
import { parseCursor } from '../../src/client/api/routes/run-events.js';
import { parseRange } from '../../src/client/api/serve-file.js';
import { isLoopback } from '../../src/client/api/server.js';
import { isJsonContentType } from '../../src/client/api/browser-boundary.js';
import { isAllowedHost } from '../../src/client/api/request-origin.js';
import { createSessionCookie } from '../../src/client/api/session-cookie.js';

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
  it('reads "<event id>.<log offset>", starts from the beginning without one, and refuses anything but two bounded integers', () => {
    expect(parseCursor('42.1337')).toEqual({ eventId: 42, logOffset: 1337 });
    expect(parseCursor('2147483647.9007199254740991')).toEqual({ eventId: 2 ** 31 - 1, logOffset: 2 ** 53 - 1 });
    expect(parseCursor(undefined)).toEqual({ eventId: 0, logOffset: 0 });
    for (const bad of ['garbage', '0.99999999999999999999999', '2147483648.0', '1e3.5', '-1.0', '1.-5', '1.2.3', '0x10.0', '1.9007199254740993', ' .5']) {
      expect(() => parseCursor(bad), bad).toThrow(/Last-Event-ID must be/);
    }
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

describe('isJsonContentType', () => {
  it('accepts application/json with at most a utf-8 charset, nothing a form or no-cors fetch can send', () => {
    expect(['application/json', 'Application/JSON', 'application/json; charset=utf-8', 'application/json;charset=UTF-8'].map(isJsonContentType)).toEqual([true, true, true, true]);
    expect(['text/plain; application/json', 'text/plain', 'application/json; charset=latin1', 'application/json, text/plain', 'application/jsonx', '', undefined]
      .map(isJsonContentType)).toEqual([false, false, false, false, false, false, false]);
  });
});

describe('isAllowedHost', () => {
  it('on a loopback bind answers to loopback names only, plus configured ones', () => {
    const allowed = (host: string) => isAllowedHost(host, '127.0.0.1', ['gallery.lan']);
    expect(['127.0.0.1:8700', 'localhost:8700', 'LOCALHOST', '[::1]:8700', '127.0.0.2', 'gallery.lan:8700'].map(allowed)).toEqual([true, true, true, true, true, true]);
    expect(['attacker.example:8700', 'localhost.attacker.example', '192.168.1.5', '', 'gallery.lan.evil'].map(allowed)).toEqual([false, false, false, false, false]);
  });

  it('on a wildcard bind answers to any IP literal (DNS rebinding needs a name) and configured names, on a named bind to that name', () => {
    expect(['10.0.0.5:8700', '[fe80::1]:8700', 'localhost', 'gpu-box.example'].map((h) => isAllowedHost(h, '0.0.0.0', []))).toEqual([true, true, true, false]);
    expect(['api.example:8700', 'localhost', '10.0.0.5'].map((h) => isAllowedHost(h, 'api.example', []))).toEqual([true, false, false]);
    expect(isAllowedHost(undefined, '127.0.0.1', [])).toBe(false);
  });
});

describe('createSessionCookie', () => {
  it('verifies its own cookie until it expires, and nothing signed with another token or altered', () => {
    const session = createSessionCookie('a-token-of-16-chars-or-more');
    const now = Date.UTC(2026, 0, 1);
    const cookie = session.issue(now).split(';')[0]!;
    expect(session.verify(`other=1; ${cookie}`, now + 1000)).toBe(true);
    expect(session.verify(cookie, now + 8 * 24 * 3600 * 1000)).toBe(false);
    expect(session.verify(cookie.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')), now)).toBe(false);
    const other = createSessionCookie('another-token-of-16-chars');
    expect(other.verify(other.issue(now).split(';')[0]!.replace(other.name, session.name), now)).toBe(false);
    expect(session.verify(undefined, now)).toBe(false);
  });
});
