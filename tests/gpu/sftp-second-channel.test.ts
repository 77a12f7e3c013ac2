import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSshTransport } from '../../src/gpu/ssh-transport.js';
import type { GpuHostTransport } from '../../src/gpu/transport.js';
import { startSshd, type TestSshd } from '../helpers/sshd.js';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const largeBytes = 40 * 1024 * 1024 + 777;

/** sftp-server's log (sshd started `verbose`): the opens of one path, each with the flags it was opened with. */
async function opensOf(sshd: TestSshd, dir: string, remote: string): Promise<string[]> {
  const log = await readFile(join(dir, 'sftp.log'), 'utf8');
  return log.split('\n').filter((line) => line.includes(`open "${remote}"`)).map((line) => /flags (\S+)/.exec(line)?.[1] ?? '');
}

describe('uploads over a second SFTP channel', () => {
  let dir: string;
  const servers: TestSshd[] = [];
  const transports: GpuHostTransport[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cosmos-sftp2-'));
    await chmod(dir, 0o755);
  });
  afterAll(async () => {
    for (const transport of transports) await transport.close();
    for (const sshd of servers) await sshd.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function serve(name: string, maxSessions?: number) {
    const sshdDir = join(dir, name);
    const sshd = await startSshd({ dir: sshdDir, verbose: true, ...(maxSessions ? { maxSessions } : {}) });
    servers.push(sshd);
    const transport = createSshTransport({
      name, host: sshd.host, port: sshd.port, user: sshd.user,
      privateKeyPath: sshd.privateKeyPath, hostKeyFingerprint: sshd.hostKeyFingerprint,
    });
    transports.push(transport);
    return { sshd, sshdDir, transport };
  }

  it('writes a large file through two channels into one intact file, and a small one through one', async () => {
    const { sshd, sshdDir, transport } = await serve('two');
    const large = randomBytes(largeBytes);
    const small = randomBytes(1024 * 1024);
    await writeFile(join(dir, 'large.bin'), large);
    await writeFile(join(dir, 'small.bin'), small);
    // Written over an older, longer file: the first open truncates, the second must not undo what it wrote.
    await writeFile(join(dir, 'large-remote.bin'), randomBytes(largeBytes + 4096));

    expect(await transport.upload(join(dir, 'large.bin'), join(dir, 'large-remote.bin'))).toEqual({ bytes: largeBytes, sha256: sha256(large) });
    expect(await transport.upload(join(dir, 'small.bin'), join(dir, 'small-remote.bin'))).toEqual({ bytes: small.length, sha256: sha256(small) });

    expect(sha256(await readFile(join(dir, 'large-remote.bin')))).toBe(sha256(large));
    const largeOpens = await opensOf(sshd, sshdDir, join(dir, 'large-remote.bin'));
    expect(largeOpens).toHaveLength(2);
    expect(largeOpens[0]).toMatch(/TRUNCATE/);
    expect(largeOpens[1]).not.toMatch(/TRUNCATE|CREATE/);
    expect(await opensOf(sshd, sshdDir, join(dir, 'small-remote.bin'))).toHaveLength(1);
  });

  it('uploads over its one channel when the server allows no second session', async () => {
    const { sshd, sshdDir, transport } = await serve('one', 1);
    const large = randomBytes(largeBytes);
    await writeFile(join(dir, 'large-1.bin'), large);

    expect(await transport.upload(join(dir, 'large-1.bin'), join(dir, 'large-1-remote.bin'))).toEqual({ bytes: largeBytes, sha256: sha256(large) });
    expect(sha256(await readFile(join(dir, 'large-1-remote.bin')))).toBe(sha256(large));
    expect(await opensOf(sshd, sshdDir, join(dir, 'large-1-remote.bin'))).toHaveLength(1);
    // The connection is still good for the next transfer.
    expect((await transport.stat(join(dir, 'large-1-remote.bin')))?.size).toBe(largeBytes);
  });
});
