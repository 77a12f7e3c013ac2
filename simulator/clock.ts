/** Nanoseconds since the epoch: wall-clock at start plus a monotonic offset, so values never repeat in one process. */
const baseNs = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

export function nowNs(): bigint {
  return baseNs + process.hrtime.bigint();
}

export const ZERO_TIME = '0001-01-01T00:00:00Z';

export function formatRfc3339Nano(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const fraction = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${new Date(ms).toISOString().slice(0, 19)}.${fraction}Z`;
}

export function nowRfc3339Nano(): string {
  return formatRfc3339Nano(nowNs());
}

export function parseRfc3339Nano(text: string): bigint {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:?\d\d)?$/.exec(text.trim());
  if (!match) return invalidTime(text);
  const [, seconds, fraction = '', zone = 'Z'] = match;
  const ms = Date.parse(`${seconds}${zone}`);
  if (Number.isNaN(ms)) return invalidTime(text);
  return BigInt(ms) * 1_000_000n + BigInt(fraction.padEnd(9, '0'));
}

const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/** Docker's `--since`/`--until`: RFC 3339 (optionally with nanoseconds), unix seconds with a fraction, or a Go duration ago. */
export function parseDockerTime(text: string, now: bigint = nowNs()): bigint {
  if (/^\d+(\.\d{1,9})?$/.test(text)) {
    const [whole = '0', fraction = ''] = text.split('.');
    return BigInt(whole) * 1_000_000_000n + BigInt(fraction.padEnd(9, '0'));
  }
  if (/^\d{4}-\d\d-\d\d$/.test(text)) return parseRfc3339Nano(`${text}T00:00:00Z`);
  if (/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(text)) {
    let total = 0n;
    for (const [, amount = '0', unit = 's'] of text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) {
      total += BigInt(Math.round(Number(amount) * Number(UNIT_NS[unit] ?? 1n)));
    }
    return now - total;
  }
  return parseRfc3339Nano(text);
}

function invalidTime(text: string): never {
  throw new Error(`invalid value for "since": failed to parse value as time or duration: "${text}"`);
}
