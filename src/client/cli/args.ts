import { parseArgs } from 'node:util';
import type { CommandOptions } from './command.js';
import { UsageError } from './usage-error.js';

const negativeNumber = /^-(\d+(\.\d*)?|\.\d+)$/;

/**
 * parseArgs with positionals allowed; its errors become usage errors (exit 2). A negative number is a value, not
 * an option: `--seed -5` is read as `--seed=-5` (parseArgs would call it "ambiguous") and a negative positional
 * (a `--weights` value) is passed after `--`, so the range check can say what the bounds are.
 */
export function parseCommandArgs<T extends CommandOptions>(args: string[], options: T) {
  const takesValue = (token: string | undefined) => token?.startsWith('--') && options[token.slice(2)]?.type === 'string';
  const rewritten: string[] = [];
  const negatives: string[] = [];
  for (const [i, token] of args.entries()) {
    if (args.slice(0, i).includes('--') || !negativeNumber.test(token)) rewritten.push(token);
    else if (takesValue(args[i - 1]) && rewritten.at(-1) === args[i - 1]) rewritten.push(`${rewritten.pop()!}=${token}`);
    else negatives.push(token);
  }
  if (negatives.length > 0) rewritten.push(...(rewritten.includes('--') ? [] : ['--']), ...negatives);
  try {
    return parseArgs({ args: rewritten, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0] ?? String(error));
  }
}

const decimal = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

/** A plain decimal number: no exponent, hex, Infinity or blanks (Number() takes all of those). */
export function parseNumber(flag: string, raw: string): number {
  if (!decimal.test(raw)) throw new UsageError(`${flag} expects a number written in decimal, such as 7 or 0.5, got "${raw}"`);
  return Number(raw);
}

/** A whole decimal number (`0x10`, `1e3` and `7.0` are refused), within [min, max] when they are given. */
export function parseInteger(flag: string, raw: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^[+-]?\d+$/.test(raw)) throw new UsageError(`${flag} expects a whole number written in decimal digits, such as 7, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new UsageError(`${flag} expects a whole number from ${min} to ${max}, got ${raw}`);
  return value;
}

/** `2024-05-01`, an ISO timestamp, or a relative age: `30m`, `12h`, `7d`. */
export function parseSince(raw: string, now = Date.now()): Date {
  const relative = /^(\d+)(m|h|d|w)$/.exec(raw);
  if (relative) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[relative[2] as 'm' | 'h' | 'd' | 'w'];
    return new Date(now - Number(relative[1]) * unit);
  }
  const date = /^\d{4}-\d{2}-\d{2}/.test(raw) ? new Date(raw) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime())) throw new UsageError(`--since expects a date (2024-05-01) or an age (30m, 12h, 7d), got "${raw}"`);
  return date;
}

export function expectPositionals(positionals: string[], count: number, what: string): string[] {
  if (positionals.length !== count) throw new UsageError(`expected ${what}`);
  return positionals;
}
