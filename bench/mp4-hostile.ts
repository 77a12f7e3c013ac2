// The MP4 probe on a hostile file (a 16-byte moov header declaring 2 GB, in a sparse file of that size) next to a
// normal video. Target for the hostile file: rejected in < 1 s with < 50 MB extra RSS.
// Run: npm run bench:mp4   (or: npx tsx bench/mp4-hostile.ts)
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { probeMp4File } from '../src/gpu/mp4.js';
import { writeHostileMp4 } from '../tests/helpers/hostile-mp4.js';
import { printTable } from './print-table.js';

const dir = await mkdtemp(join(tmpdir(), 'cosmos-bench-mp4-'));
try {
  const normal = join(dir, 'normal.mp4');
  await promisify(execFile)('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=1280x704:rate=24',
    '-frames:v', '121', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', normal]);
  const hostile = join(dir, 'hostile.mp4');
  await writeHostileMp4(hostile);

  const rows: string[][] = [];
  for (const [label, path] of [['normal 1280x704, 121 frames', normal], ['hostile, moov declares 2 GB', hostile]] as const) {
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 1);
    const started = performance.now();
    const outcome = await probeMp4File(path).then((info) => `${info.width}x${info.height}, ${info.frames} frames`, (error: Error) => `rejected: ${error.message.replace(`${dir}/`, '')}`);
    const ms = performance.now() - started;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    rows.push([label, `${ms.toFixed(1)} ms`, `${((peak - rssBefore) / 2 ** 20).toFixed(1)} MB`, outcome]);
  }
  printTable(['file', 'time', 'extra RSS (peak)', 'result'], rows);
} finally {
  await rm(dir, { recursive: true, force: true });
}
