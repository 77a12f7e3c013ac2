const BAR_WIDTH = 10;
const PARTIAL_BLOCKS = ' ▏▎▍▌▋▊▉';

/**
 * A tqdm bar on stderr, redrawn with `\r` on every update and ended with a newline, like `tqdm(range(n))`;
 * `desc` is tqdm's description, `timeScale` turns wall time into the model's time.
 */
export function startProgressBar(total: number, options: { desc?: string; timeScale?: number } = {}): { update(): void; close(): void } {
  const started = Date.now();
  let done = 0;
  const prefix = options.desc ? `${options.desc}: ` : '';
  const draw = () => process.stderr.write(`\r${prefix}${renderBar(done, total, (Date.now() - started) / 1000 / (options.timeScale ?? 1))}`);
  draw();
  return {
    update() {
      done += 1;
      draw();
    },
    close() {
      process.stderr.write('\n');
    },
  };
}

export function renderBar(done: number, total: number, elapsedSeconds: number): string {
  const fraction = total > 0 ? done / total : 0;
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const filled = fraction * BAR_WIDTH;
  const whole = Math.floor(filled);
  const partial = whole < BAR_WIDTH ? (PARTIAL_BLOCKS[Math.floor((filled - whole) * 8)] ?? ' ') : '';
  const bar = `${'█'.repeat(whole)}${partial}`.padEnd(BAR_WIDTH, ' ');
  if (done === 0) return `${percent}|${bar}| ${done}/${total} [${clock(elapsedSeconds)}<?, ?it/s]`;
  const secondsPerIt = elapsedSeconds / done;
  const rate = secondsPerIt >= 1 ? `${secondsPerIt.toFixed(2)}s/it` : `${(1 / Math.max(secondsPerIt, 1e-9)).toFixed(2)}it/s`;
  return `${percent}|${bar}| ${done}/${total} [${clock(elapsedSeconds)}<${clock(secondsPerIt * (total - done))}, ${rate.padStart(9)}]`;
}

function clock(seconds: number): string {
  const total = Math.round(seconds);
  const two = (n: number) => String(n).padStart(2, '0');
  const hours = Math.floor(total / 3600);
  const rest = `${two(Math.floor((total % 3600) / 60))}:${two(total % 60)}`;
  return hours > 0 ? `${hours}:${rest}` : rest;
}
