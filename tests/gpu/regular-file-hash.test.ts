import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalTransport } from '../../src/gpu/local-transport.js';
import { NotARegularFileError, sha256OfRegularFileOnHost } from '../../src/gpu/regular-file-hash.js';
import { createSshTransport } from '../../src/gpu/ssh-transport.js';
import type { GpuHostTransport } from '../../src/gpu/transport.js';
import { startSshd, type TestSshd } from '../helpers/sshd.js';

const secret = 'the contents of a key the container must not reach\n';

describe('sha256OfRegularFileOnHost (real sshd and the local transport)', () => {
  let dir: string;
  let sshd: TestSshd;
  const transports: [string, GpuHostTransport][] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cosmos-hash-'));
    await chmod(dir, 0o755);
    sshd = await startSshd({ dir: join(dir, 'sshd') });
    transports.push(
      ['ssh', createSshTransport({ name: 'h', host: sshd.host, port: sshd.port, user: sshd.user, privateKeyPath: sshd.privateKeyPath, hostKeyFingerprint: sshd.hostKeyFingerprint })],
      ['local', createLocalTransport('h')],
    );
    await writeFile(join(dir, 'id_ed25519'), secret);
    await writeFile(join(dir, 'output.mp4'), secret);
    await symlink(join(dir, 'id_ed25519'), join(dir, 'link.mp4'));
    await promisify(execFile)('mkfifo', [join(dir, 'fifo.mp4')]);
  });
  afterAll(async () => {
    for (const [, transport] of transports) await transport.close();
    await sshd?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it.each(['ssh', 'local'])('hashes a regular file over %s', async (kind) => {
    const transport = transports.find(([k]) => k === kind)![1];
    expect(await sha256OfRegularFileOnHost(transport, join(dir, 'output.mp4'))).toBe(createHash('sha256').update(secret).digest('hex'));
  });

  it.each(['ssh', 'local'])('refuses a symbolic link over %s instead of hashing what it points to', async (kind) => {
    const transport = transports.find(([k]) => k === kind)![1];
    await expect(sha256OfRegularFileOnHost(transport, join(dir, 'link.mp4'))).rejects.toThrow(NotARegularFileError);
  });

  it.each(['ssh', 'local'])('refuses a FIFO over %s at once instead of blocking on it', async (kind) => {
    const transport = transports.find(([k]) => k === kind)![1];
    await expect(sha256OfRegularFileOnHost(transport, join(dir, 'fifo.mp4'))).rejects.toThrow(/fifo\.mp4 is not a regular file on h/);
  });
});
