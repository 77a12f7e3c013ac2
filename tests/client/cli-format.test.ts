import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSince } from '../../src/client/cli/args.js';
import { formatTable, highlightMatches } from '../../src/client/cli/format.js';
import { createOutput } from '../../src/client/cli/output.js';
import { renderTerminalText } from '../../src/client/cli/terminal-text.js';
import { UsageError } from '../../src/client/cli/usage-error.js';

const terminal = { isTTY: true, write: () => true } as unknown as NodeJS.WriteStream;

describe('CLI formatting helpers', () => {
  const saved = process.env.NO_COLOR;
  beforeEach(() => { delete process.env.NO_COLOR; });
  afterEach(() => { if (saved !== undefined) process.env.NO_COLOR = saved; });

  it('reads --since as a date or as an age before now', () => {
    const now = Date.parse('2024-05-10T12:00:00Z');
    expect(parseSince('30m', now).toISOString()).toBe('2024-05-10T11:30:00.000Z');
    expect(parseSince('7d', now).toISOString()).toBe('2024-05-03T12:00:00.000Z');
    expect(parseSince('2024-05-01').toISOString()).toBe('2024-05-01T00:00:00.000Z');
    expect(() => parseSince('last week')).toThrow(UsageError);
    expect(() => parseSince('2024-13-45')).toThrow(/--since expects a date/);
  });

  it('highlights every case-insensitive match, keeping the original case', () => {
    const out = createOutput(terminal);
    expect(renderTerminalText(highlightMatches('Harbour at dawn, harbour at dusk', 'HARBOUR', out)))
      .toBe('\u001b[1;33mHarbour\u001b[0m at dawn, \u001b[1;33mharbour\u001b[0m at dusk');
  });

  it('aligns table columns by visible width, ignoring colour codes', () => {
    const out = createOutput(terminal);
    const lines = formatTable(['ID', 'STATUS', 'NOTE'], [['a', out.green('completed'), 'x'], ['bbbb', 'failed', 'y']], out)
      .map((line) => renderTerminalText(line).replace(/\u001b\[[0-9;]*m/g, ''));
    expect(lines).toEqual(['ID    STATUS     NOTE', 'a     completed  x', 'bbbb  failed     y']);
  });
});
