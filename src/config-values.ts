import { z } from 'zod';

const durationUnits = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** "30s", "5m", "4h", "250ms" → milliseconds; null when it is not one. */
export function readDurationMs(value: string): number | null {
  const match = /^(\d+)(ms|s|m|h)$/.exec(value);
  if (!match) return null;
  return Number(match[1]) * durationUnits[match[2] as keyof typeof durationUnits];
}

/** A positive duration: "0s" would make a timeout fire at once (a zero hang_timeout kills every container). */
export const durationSchema = z.string()
  .regex(/^\d+(ms|s|m|h)$/, 'a duration like "30s", "5m" or "4h"')
  .refine((value) => (readDurationMs(value) ?? 0) > 0, 'must be longer than 0');

const sizeUnits: Record<string, number> = {
  B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KIB: 2 ** 10, MIB: 2 ** 20, GIB: 2 ** 30, TIB: 2 ** 40,
};

/** "512MB", "8GiB", "1 TB" → bytes; null when it is not one. */
export function readSizeBytes(value: string): number | null {
  const match = /^(\d+(?:\.\d+)?)\s*([KMGT]i?B|B)$/i.exec(value.trim());
  if (!match) return null;
  const unit = sizeUnits[(match[2] as string).toUpperCase()];
  return unit === undefined ? null : Math.floor(Number(match[1]) * unit);
}

/** A positive size: a whole number of bytes, or a string like "512MB" or "8GiB"; always bytes after parsing. */
export const sizeSchema = z.union([z.number(), z.string()], { error: 'a size like "512MB", "8GiB" or a number of bytes' })
  .transform((value, ctx) => {
    const bytes = typeof value === 'number' ? value : readSizeBytes(value);
    if (bytes === null || !Number.isInteger(bytes)) ctx.addIssue({ code: 'custom', message: 'a size like "512MB", "8GiB" or a whole number of bytes' });
    else if (bytes <= 0) ctx.addIssue({ code: 'custom', message: 'must be more than 0 bytes' });
    return bytes ?? 0;
  });
