import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where `cosmos dev` and `cosmos api` keep the token they made for a data directory without a configured one. */
export const apiTokenPath = (dataDir: string) => join(dataDir, 'api-token');

/**
 * The data directory's API token, made on first use (readable by its owner only), like Jupyter's. A file that
 * others could read is tightened; one that holds no usable token is replaced.
 */
export function ensureApiToken(dataDir: string): string {
  const path = apiTokenPath(dataDir);
  mkdirSync(dataDir, { recursive: true });
  const existing = readToken(path);
  if (existing) return existing;
  const token = randomBytes(24).toString('base64url');
  try {
    writeFileSync(path, `${token}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // Another process made it a moment ago, or the old one was unusable.
    const raced = readToken(path);
    if (raced) return raced;
    writeFileSync(path, `${token}\n`, { mode: 0o600 });
    chmodSync(path, 0o600);
  }
  return token;
}

function readToken(path: string): string | null {
  try {
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
    const token = readFileSync(path, 'utf8').trim();
    return token.length >= 16 ? token : null;
  } catch {
    return null;
  }
}
