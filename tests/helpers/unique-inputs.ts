import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

const demoInputs = join(resolve(import.meta.dirname, '..', '..'), 'samples', 'demo');

/** A copy of the demo inputs with different bytes (a random MP4 `free` box appended), so no cache has them yet. */
export async function makeUniqueInputs(parent: string): Promise<string> {
  const dir = await mkdtemp(join(parent, 'inputs-'));
  for (const name of ['color.mp4', 'depth.mp4']) {
    const original = await readFile(join(demoInputs, name));
    const padding = randomBytes(4096);
    const box = Buffer.alloc(8);
    box.writeUInt32BE(8 + padding.length, 0);
    box.write('free', 4, 'ascii');
    await writeFile(join(dir, name), Buffer.concat([original, box, padding]));
  }
  return dir;
}
