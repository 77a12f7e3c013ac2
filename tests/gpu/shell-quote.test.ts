import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { quoteArg, quoteCommand } from '../../src/gpu/shell-quote.js';

describe('shell quoting', () => {
  const nasty = ["it's", '$(rm -rf /)', '`id`', 'a b\tc\nd', '"double"', '*', '~', '; echo pwned', '', '--flag=x', "'''"];

  it('makes a POSIX shell see every argument exactly as given', () => {
    const echoed = execFileSync('sh', ['-c', `printf '%s\\0' ${quoteCommand(nasty)}`]).toString('utf8');
    expect(echoed.split('\0').slice(0, -1)).toEqual(nasty);
  });

  it('leaves plain tokens readable and refuses NUL bytes', () => {
    expect(quoteArg('cosmos-jobs/rs_1/inputs/spec.json')).toBe('cosmos-jobs/rs_1/inputs/spec.json');
    expect(quoteArg('--seed')).toBe('--seed');
    expect(() => quoteArg('a\0b')).toThrow(/NUL/);
  });
});
