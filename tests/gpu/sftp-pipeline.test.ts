import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, type SFTPWrapper } from 'ssh2';
import { downloadPipelined, sftpChunkBytes, sftpRequestsInFlight } from '../../src/gpu/sftp-pipeline.js';
import { createSshTransport } from '../../src/gpu/ssh-transport.js';
import { TransferTooLargeError, type GpuHostTransport } from '../../src/gpu/transport.js';
import { startSshd, type TestSshd } from '../helpers/sshd.js';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('pipelined SFTP transfers against a real sshd', () => {
  let dir: string;
  let sshd: TestSshd;
  let transport: GpuHostTransport;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cosmos-sftp-'));
    await chmod(dir, 0o755);
    sshd = await startSshd({ dir: join(dir, 'sshd') });
    transport = createSshTransport({
      name: 'test-host', host: sshd.host, port: sshd.port, user: sshd.user,
      privateKeyPath: sshd.privateKeyPath, hostKeyFingerprint: sshd.hostKeyFingerprint,
    });
  });
  afterAll(async () => {
    await transport?.close();
    await sshd?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function withSftp<T>(work: (sftp: SFTPWrapper) => Promise<T>): Promise<T> {
    const client = new Client();
    await new Promise<void>((resolve, reject) => {
      client.once('ready', resolve).once('error', reject)
        .connect({ host: sshd.host, port: sshd.port, username: sshd.user, privateKey: readFileSync(sshd.privateKeyPath) });
    });
    try {
      const sftp = await new Promise<SFTPWrapper>((resolve, reject) => client.sftp((err, value) => (err ? reject(err) : resolve(value))));
      return await work(sftp);
    } finally {
      client.end();
    }
  }

  // More chunks than requests in flight, and a last chunk that is not full.
  const sizes = [0, 1, sftpChunkBytes, sftpChunkBytes * (sftpRequestsInFlight + 3) + 12_345];

  it.each(sizes)('moves a %i-byte file both ways intact, with its sha256 computed in the same pass', async (size) => {
    const payload = randomBytes(size);
    const local = join(dir, `up-${size}.bin`);
    const remote = join(dir, `remote-${size}.bin`);
    const back = join(dir, `back-${size}.bin`);
    await writeFile(local, payload);

    const up = await transport.upload(local, remote);
    expect(up).toEqual({ bytes: size, sha256: sha256(payload) });
    expect(sha256(await readFile(remote))).toBe(sha256(payload));

    const down = await transport.download(remote, back);
    expect(down).toEqual({ bytes: size, sha256: sha256(payload) });
    expect(sha256(await readFile(back))).toBe(sha256(payload));
  });

  it('reports progress a few times a second, ending with the full size, not once per chunk', async () => {
    const size = sftpChunkBytes * 40;
    const local = join(dir, 'progress.bin');
    await writeFile(local, randomBytes(size));
    const seen: number[] = [];
    // A rate limit makes the transfer last ~0.8 s, long enough for throttling to show.
    await transport.upload(local, join(dir, 'progress-remote.bin'), { rateLimit: size / 0.8, onProgress: (done) => seen.push(done) });
    expect(seen.at(-1)).toBe(size);
    expect(seen.length).toBeGreaterThan(2);
    expect(seen.length).toBeLessThan(40);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });

  it('downloads all of a file that is longer than the size it was told, and stops at its real end', async () => {
    const remote = join(dir, 'growing.bin');
    const payload = randomBytes(1000 + sftpChunkBytes * 2);
    await writeFile(remote, payload);
    const back = join(dir, 'growing-back.bin');
    // As when the file grew between the stat and the transfer: the pipeline was told 1000 bytes.
    const result = await withSftp((sftp) => downloadPipelined(sftp, remote, back, 1000));
    expect(result).toEqual({ bytes: payload.length, sha256: sha256(payload) });
    expect(sha256(await readFile(back))).toBe(sha256(payload));
  });

  it('stops a download that brings more than it may, instead of reading a swapped-in file for ever', async () => {
    const remote = join(dir, 'bigger.bin');
    await writeFile(remote, randomBytes(sftpChunkBytes * 3));
    const back = join(dir, 'bigger-back.bin');
    await expect(transport.download(remote, back, { maxBytes: sftpChunkBytes })).rejects.toThrow(TransferTooLargeError);
    expect(await transport.download(remote, back, { maxBytes: sftpChunkBytes * 3 })).toMatchObject({ bytes: sftpChunkBytes * 3 });
  });

  it('stops a transfer at once when its caller aborts, and the connection stays usable', async () => {
    const local = join(dir, 'abort.bin');
    await writeFile(local, randomBytes(sftpChunkBytes * 20));
    const controller = new AbortController();
    const running = transport.upload(local, join(dir, 'abort-remote.bin'), {
      rateLimit: 1_000_000, signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    const started = Date.now();
    await expect(running).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(2_000);
    const { stdout } = await transport.exec(['echo', 'still here']);
    expect(stdout).toBe('still here\n');
  });

  it('names the remote file when a write fails on the host', async () => {
    const local = join(dir, 'denied.bin');
    await writeFile(local, randomBytes(10));
    await expect(transport.upload(local, join(dir, 'no-such-dir', 'x.bin'))).rejects.toThrow(/No such file|no such file/i);
  });
});
