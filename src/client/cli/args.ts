import { parseArgs } from 'node:util';
import type { CommandOptions } from './command.js';
import { UsageError } from './usage-error.js';

/** parseArgs with positionals allowed; its errors become usage errors (exit 2). */
export function parseCommandArgs<T extends CommandOptions>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0] ?? String(error));
  }
}

export function parseNumber(flag: string, raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || Number.isNaN(value)) throw new UsageError(`${flag} expects a number, got "${raw}"`);
  return value;
}

export function parseInteger(flag: string, raw: string, min: number, max: number): number {
  const value = parseNumber(flag, raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new UsageError(`${flag} expects a whole number from ${min} to ${max}, got "${raw}"`);
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
