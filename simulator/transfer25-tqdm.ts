import type { SimContext } from './sim-context.js';
import { startProgressBar } from './tqdm.js';

/**
 * `tqdm.tqdm(timesteps, desc="Generating samples", total=len(timesteps))` in
 * cosmos_transfer2/_src/transfer2/models/vid2vid_model_control_vace_rectified_flow.py:428 (2ff49d0): one bar per
 * chunk on stderr, one tick per denoising step, printed by every rank. Not a TTY, so the bar is 10 cells wide and
 * each redraw starts with `\r`. Elapsed time and rate are shown in model time (real time / timeScale), so a
 * scaled run prints what the real run would (e.g. `3.09s/it`). The distilled sampler has no bar.
 */
export function startStepBar(context: SimContext, total: number, enabled: boolean): { update(): void; close(): void } {
  if (!enabled) return { update: () => undefined, close: () => undefined };
  return startProgressBar(total, { desc: 'Generating samples', timeScale: context.settings.timeScale });
}
