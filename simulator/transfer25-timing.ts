import type { ResolvedSettings } from './settings.js';

/**
 * Simulated durations (seconds of model time, scaled by sim.json's timeScale) following the published numbers in
 * cosmos-transfer2.5@2ff49d0 `docs/inference.md` (contract §5): one 93-frame chunk at 35 steps on one GPU takes
 * `secondsPerChunk` (sim.json); steps scale it linearly; context parallelism divides it by the measured speed-up
 * (H100 NVL edge rows: base 502.6 / 154.5 / 92.5 s at 1 / 4 / 8 GPUs; distilled 64.5 / 27.4 / 20.4 s at 4 steps),
 * interpolated log-log for other GPU counts. Model load is `modelLoadSeconds` (undocumented upstream).
 */
const BASE_SPEEDUP: [number, number][] = [[1, 1], [4, 502.6 / 154.5], [8, 502.6 / 92.5]];
const DISTILLED_SPEEDUP: [number, number][] = [[1, 1], [4, 64.5 / 27.4], [8, 64.5 / 20.4]];
/** Distilled 4-step chunk vs base 35-step chunk, H100 NVL, 1 GPU. */
const DISTILLED_RATIO = 64.5 / 502.6;

/** Text guardrail (Blocklist + Qwen3Guard-0.6B) per prompt, video guardrail + face blur per video: "seconds" [inferred]. */
export const TEXT_GUARDRAIL_SECONDS = 1.5;
export const VIDEO_GUARDRAIL_SECONDS = 4;
/** Reading the input, text embeddings (Cosmos-Reason1-7B) before the first chunk; decode and save after the last [inferred]. */
export const PREPARE_SECONDS = 3;
export const SAVE_SECONDS = 2;
/** On-the-fly depth (Video-Depth-Anything-Small) and seg (GroundingDINO + SAM2) run over every input frame [inferred rate]. */
export const AUTO_CONTROL_SECONDS_PER_FRAME: Record<string, number> = { depth: 0.25, seg: 0.4 };

function speedup(table: [number, number][], gpus: number): number {
  const n = Math.max(1, gpus);
  for (let i = 1; i < table.length; i++) {
    const [x0, y0] = table[i - 1] as [number, number];
    const [x1, y1] = table[i] as [number, number];
    if (n <= x1 || i === table.length - 1) {
      const slope = Math.log(y1 / y0) / Math.log(x1 / x0);
      return y0 * (n / x0) ** slope;
    }
  }
  return 1;
}

export function chunkSeconds(settings: ResolvedSettings, numSteps: number, distilled: boolean, gpus: number): number {
  if (distilled) return (settings.secondsPerChunk * DISTILLED_RATIO * (numSteps / 4)) / speedup(DISTILLED_SPEEDUP, gpus);
  return (settings.secondsPerChunk * (numSteps / 35)) / speedup(BASE_SPEEDUP, gpus);
}

/**
 * inference_pipeline.py `_get_num_chunks`: one chunk when T <= C (or C == 1), else 1 + ceil((T - C) / (C - c)).
 */
export function countChunks25(frames: number, perChunk: number, conditional: number): number {
  if (perChunk === 1 || frames <= perChunk) return 1;
  return 1 + Math.ceil((frames - perChunk) / (perChunk - conditional));
}

/** Python's `random.seed(seed); random.randint(0, 1000000)` (MT19937, init_by_array, _randbelow), as the pipeline reseeds per chunk. */
export function pythonReseed(seed: number): number {
  const mt = new Uint32Array(624);
  const init = (s: number) => {
    mt[0] = s >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = (mt[i - 1] ?? 0) ^ ((mt[i - 1] ?? 0) >>> 30);
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  };
  let a = BigInt(Math.abs(Math.trunc(seed)));
  const key: number[] = [];
  do {
    key.push(Number(a & 0xffffffffn));
    a >>= 32n;
  } while (a > 0n);
  init(19650218);
  let i = 1;
  let j = 0;
  for (let k = Math.max(624, key.length); k > 0; k--) {
    const prev = (mt[i - 1] ?? 0) ^ ((mt[i - 1] ?? 0) >>> 30);
    mt[i] = (((mt[i] ?? 0) ^ Math.imul(prev, 1664525)) + (key[j] ?? 0) + j) >>> 0;
    i++;
    j++;
    if (i >= 624) { mt[0] = mt[623] ?? 0; i = 1; }
    if (j >= key.length) j = 0;
  }
  for (let k = 623; k > 0; k--) {
    const prev = (mt[i - 1] ?? 0) ^ ((mt[i - 1] ?? 0) >>> 30);
    mt[i] = (((mt[i] ?? 0) ^ Math.imul(prev, 1566083941)) - i) >>> 0;
    i++;
    if (i >= 624) { mt[0] = mt[623] ?? 0; i = 1; }
  }
  mt[0] = 0x80000000;
  let index = 624;
  const next = (): number => {
    if (index >= 624) {
      for (let k = 0; k < 624; k++) {
        const y = ((mt[k] ?? 0) & 0x80000000) | ((mt[(k + 1) % 624] ?? 0) & 0x7fffffff);
        mt[k] = ((mt[(k + 397) % 624] ?? 0) ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0)) >>> 0;
      }
      index = 0;
    }
    let y = mt[index++] ?? 0;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  };
  for (;;) {
    const r = next() >>> 12; // getrandbits(20): (1000001).bit_length() == 20
    if (r < 1000001) return r;
  }
}
