import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { settingsPath } from './settings.js';

/**
 * What is wrong (or just different) about the simulated host, planted in sim.json next to its settings and read
 * on every command, so a test can plant and remove a defect between two commands.
 */
export interface HostDefects {
  /** Images the daemon holds; absent: every image is there (the simulator otherwise ignores the image). */
  images?: string[];
  /** false: no NVIDIA Container Toolkit (no `nvidia-container-runtime-hook`, no `nvidia` runtime). Default true. */
  nvidiaContainerToolkit?: boolean;
  /** Compute processes on the GPUs that belong to no simulated container: someone else's job, a notebook. */
  gpuProcesses?: ForeignGpuProcess[];
}

export interface ForeignGpuProcess { gpu: number; pid: number; usedMemoryMiB: number; name?: string }

export function readHostDefects(home: string): HostDefects {
  try {
    const stored = JSON.parse(readFileSync(settingsPath(home), 'utf8')) as HostDefects;
    return { images: stored.images, nvidiaContainerToolkit: stored.nvidiaContainerToolkit, gpuProcesses: stored.gpuProcesses };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
}

/** Sets (or, given `undefined`, removes) defects in sim.json, keeping every other setting. */
export async function plantHostDefects(home: string, defects: { [K in keyof HostDefects]: HostDefects[K] | undefined }): Promise<void> {
  const path = settingsPath(home);
  const stored = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  for (const [key, value] of Object.entries(defects)) {
    if (value === undefined) delete stored[key];
    else stored[key] = value;
  }
  await writeFile(path, JSON.stringify(stored, null, 2));
}

/**
 * A reference as the daemon names it in its messages: the tag defaults to `latest` and Docker Hub's prefixes are
 * dropped (reference.TagNameOnly and reference.FamiliarString in daemon/images/image.go `ErrImageDoesNotExist`).
 */
export function familiarImageName(reference: string): string {
  const name = reference.replace(/^docker\.io\//, '').replace(/^library\//, '');
  if (name.includes('@')) return name;
  const lastPart = name.slice(name.lastIndexOf('/') + 1);
  return lastPart.includes(':') ? name : `${name}:latest`;
}

export function hasImage(home: string, reference: string): boolean {
  const { images } = readHostDefects(home);
  return images === undefined || images.some((image) => familiarImageName(image) === familiarImageName(reference));
}
