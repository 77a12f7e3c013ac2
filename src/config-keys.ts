import type { z } from 'zod';

/** Which keys a config table accepts: its own keys, plus the tables nested in it; `free` takes any key. */
export type KeyTree = { [key: string]: KeyTree | 'value' | 'free' };

/** The keys a zod object accepts, for the unknown-key check (nested tables are given explicitly). */
export function keysOf(schema: z.ZodObject, nested: Record<string, KeyTree | 'free'> = {}): KeyTree {
  return Object.fromEntries(Object.keys(schema.shape).map((key) => [key, nested[key] ?? 'value']));
}

/**
 * Every key of `raw` that `tree` does not know, as "path: unknown key "x" (did you mean "y"?)". A typo must not
 * leave a setting at its default without a word (`tokn` would leave the API without a token).
 */
export function findUnknownKeys(raw: unknown, tree: KeyTree, path: string[] = []): string[] {
  if (!raw || typeof raw !== 'object') return [];
  if (Array.isArray(raw)) return raw.flatMap((item, i) => findUnknownKeys(item, tree, [...path, String(i)]));
  const problems: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const known = tree[key];
    const where = [...path, key].join('.');
    if (known === undefined) {
      problems.push(`${where}: unknown key "${key}" (did you mean "${nearestKey(key, Object.keys(tree))}"?)`);
    } else if (typeof known === 'object') {
      problems.push(...findUnknownKeys(value, known, [...path, key]));
    }
  }
  return problems;
}

/** The candidate with the smallest edit distance (ties: the first in declaration order). */
export function nearestKey(key: string, candidates: string[]): string {
  let best = candidates[0] ?? '';
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
