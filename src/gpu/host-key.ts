import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** OpenSSH's fingerprint format: `SHA256:` + unpadded base64 of the key blob's digest. */
export function fingerprintOf(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** Key blobs listed for host:port in a known_hosts file, plain or hashed (`|1|salt|hmac`) entries. */
export function readKnownHostKeys(knownHostsPath: string, host: string, port: number): Buffer[] {
  const names = port === 22 ? [host, `[${host}]:22`] : [`[${host}]:${port}`];
  const keys: Buffer[] = [];
  for (const line of readFileSync(knownHostsPath, 'utf8').split('\n')) {
    const [hosts, , key] = line.trim().split(/\s+/);
    if (!hosts || !key || hosts.startsWith('#') || hosts.startsWith('@')) continue;
    if (hosts.split(',').some((entry) => matchesHost(entry, names))) keys.push(Buffer.from(key, 'base64'));
  }
  return keys;
}

function matchesHost(entry: string, names: string[]): boolean {
  if (!entry.startsWith('|1|')) return names.includes(entry);
  const [, , salt, digest] = entry.split('|');
  if (!salt || !digest) return false;
  return names.some((name) => createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === digest);
}
