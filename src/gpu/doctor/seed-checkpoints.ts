import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { GpuHostConfig } from '../../config.js';
import { hostServes, hostSettingsFor, listModelTypes } from '../../models/index.js';
import { checkpointLocationOf } from './checkpoints.js';

/**
 * Gives a simulated host (on this machine's filesystem) a placeholder for every checkpoint file `cosmos doctor`
 * looks for in a folder, as a real host has after its download script ran: the scheduler sends no work for a model
 * whose checkpoints a host lacks, and the simulator reads no weights. Files already there are left alone; models
 * whose checkpoints live in a Hugging Face cache fetch them at run time and get none. Returns the files it made.
 */
export async function seedCheckpoints(host: GpuHostConfig): Promise<string[]> {
  const made: string[] = [];
  for (const model of listModelTypes()) {
    if (model.checkpoints.length === 0 || !hostServes(host, model.name)) continue;
    const location = checkpointLocationOf({ model, settings: hostSettingsFor(host, model.name) });
    if (location?.kind !== 'folder') continue;
    for (const name of model.checkpoints) {
      const path = join(location.path, name);
      if (((await stat(path).catch(() => null))?.size ?? 0) > 0) continue;
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, `simulated checkpoint ${name}\n`);
      made.push(path);
    }
  }
  return made;
}
