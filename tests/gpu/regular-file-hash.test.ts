import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalTransport } from '../../src/gpu/local-transport.js';
import { sha256OfRegularFilesOnHost } from '../../src/gpu/regular-file-hash.js';
import { createSshTransport } from '../../src/gpu/ssh-transport.js';
import type { GpuHostTransport } from '../../src/gpu/transport.js';
import { startSshd, type TestSshd } from '../helpers/sshd.js';

const secret = 'the contents of a key the container must not reach\n';

describe('sha256OfRegularFilesOnHost (real sshd and the local transport)', () => {
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

  it.each(['ssh', 'local'])('hashes regular files over %s and marks a link and a FIFO instead of following or blocking on them', async (kind) => {
    const transport = transports.find(([k]) => k === kind)![1];
    const started = Date.now();
    const hashes = await sha256OfRegularFilesOnHost(transport, ['output.mp4', 'link.mp4', 'fifo.mp4', 'id_ed25519'].map((name) => join(dir, name)));
    const expected = createHash('sha256').update(secret).digest('hex');
    expect(hashes).toEqual([expected, null, null, expected]);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it.each(['ssh', 'local'])('hashes a file name with spaces and quotes over %s', async (kind) => {
    const transport = transports.find(([k]) => k === kind)![1];
    const odd = join(dir, `it's "odd" $(id).mp4`);
    await writeFile(odd, 'x');
    expect(await sha256OfRegularFilesOnHost(transport, [odd])).toEqual([createHash('sha256').update('x').digest('hex')]);
  });
});
