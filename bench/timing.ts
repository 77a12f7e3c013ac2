import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
export const projectRoot = resolve(import.meta.dirname, '..');
const entry = join(projectRoot, 'bin', 'cosmos.js');
const distEntry = join(projectRoot, 'dist', 'src', 'client', 'cli', 'main.js');

export interface Summary { samples: number; min: number; median: number; p99: number; max: number }

export function summarize(ms: number[]): Summary {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  const mid = sorted.length / 2;
  const median = sorted.length % 2 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { samples: sorted.length, min: sorted[0]!, median, p99: at(0.99), max: sorted.at(-1)! };
}

/** Wall time of `await run()`, repeated `repeat` times after one untimed warm-up. */
export async function sample(repeat: number, run: () => Promise<unknown>): Promise<Summary> {
  await run();
  const ms: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const started = performance.now();
    await run();
    ms.push(performance.now() - started);
  }
  return summarize(ms);
}

/**
 * Runs the built `cosmos` executable in a fresh process, as a user does (`fromDist`: the unbundled modules of a plain
 * `tsc` build); rejects on a non-zero exit.
 */
export async function runBuiltCosmos(args: string[], env: Record<string, string> = {}, options: { fromDist?: boolean } = {}): Promise<string> {
  const { stdout } = await exec(process.execPath, [options.fromDist ? distEntry : entry, ...args], {
    env: { ...process.env, DATABASE_URL: '', TEMPORAL_ADDRESS: '', NO_COLOR: '1', ...env }, maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

export const formatMs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);

export function summaryCells(summary: Summary): string[] {
  return [String(summary.samples), formatMs(summary.min), formatMs(summary.median), formatMs(summary.p99), formatMs(summary.max)];
}

/** True when this module is the file tsx was asked to run (so a bench can be imported without running). */
export const isMainModule = (url: string) => process.argv[1] !== undefined && resolve(process.argv[1]) === new URL(url).pathname;
