import { createHash, randomBytes } from 'node:crypto';
import { chmod, lstat, mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostUnreachableError, RemoteCommandError } from '../../src/gpu/remote-command-error.js';
import { createSshTransport, type SshTarget } from '../../src/gpu/ssh-transport.js';
import type { GpuHostTransport } from '../../src/gpu/transport.js';
import { startSshd, type TestSshd } from '../helpers/sshd.js';

describe('SSH transport against a real sshd', () => {
  let dir: string;
  let sshd: TestSshd;
  let target: SshTarget;
  let transport: GpuHostTransport;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cosmos-ssh-'));
    await chmod(dir, 0o755);
    sshd = await startSshd({ dir: join(dir, 'sshd') });
    target = { name: 'test-host', host: sshd.host, port: sshd.port, user: sshd.user, privateKeyPath: sshd.privateKeyPath, hostKeyFingerprint: sshd.hostKeyFingerprint };
    transport = createSshTransport(target);
  });
  afterAll(async () => {
    await transport?.close();
    await sshd?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs argv remotely with every argument arriving intact', async () => {
    const args = ["it's", '$(id)', '`id`', 'a b', '"q"', 'new\nline'];
    const { stdout } = await transport.exec(['printf', '%s\\0', ...args]);
    expect(stdout.split('\0').slice(0, -1)).toEqual(args);
  });

  it('passes output through whole whatever it looks like: no final newline, bytes like our own framing, both streams', async () => {
    const tricky = 'no newline \u001ecosmos-end:1:0 \u001ecosmos-end:';
    const { stdout, stderr } = await transport.exec(['sh', '-c', 'printf "%s" "$1"; printf "%s" "$1" >&2', 'sh', tricky]);
    expect(stdout).toBe(tricky);
    expect(stderr).toBe(tricky);
    const big = await transport.exec(['sh', '-c', 'head -c 3000000 /dev/zero | tr "\\0" x']);
    expect(big.stdout).toHaveLength(3_000_000);
  });

  it('runs commands side by side and one after another, each with its own output and exit code', async () => {
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => transport.exec(['sh', '-c', `sleep 0.$((${i} % 3)); echo ${i}; exit ${i}`], { okExitCodes: [i] })));
    expect(results.map((r) => [r.stdout, r.exitCode])).toEqual(Array.from({ length: 12 }, (_, i) => [`${i}\n`, i]));
    for (let i = 0; i < 20; i += 1) expect((await transport.exec(['echo', `${i}`])).stdout).toBe(`${i}\n`);
  });

  it('raises one error type carrying host, command, exit code and stderr tail', async () => {
    const error = await transport.exec(['sh', '-c', 'echo boom >&2; exit 3']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteCommandError);
    expect(error).toMatchObject({ host: 'test-host', exitCode: 3, stderrTail: 'boom\n' });
    expect((error as Error).message).toMatch(/test-host: `sh -c .*` failed \(exit code 3\): boom/);
  });

  it('streams output as it arrives and can be cancelled', async () => {
    const seen: string[] = [];
    const controller = new AbortController();
    const running = transport.exec(['sh', '-c', 'echo first; sleep 30'], {
      signal: controller.signal,
      onOutput: (chunk) => {
        seen.push(chunk);
        controller.abort();
      },
    });
    await expect(running).rejects.toThrow(/cancelled/);
    expect(seen.join('')).toContain('first');
  });

  it('uploads and downloads with progress, byte counts and sha256, and reads byte ranges', async () => {
    const payload = randomBytes(300_000);
    const local = join(dir, 'payload.bin');
    await writeFile(local, payload);
    const progress: number[] = [];
    const remote = join(dir, 'remote', 'payload.bin');
    await transport.mkdirp(join(dir, 'remote'));
    const sent = await transport.upload(local, remote, { onProgress: (n) => progress.push(n) });
    const sha256 = createHash('sha256').update(payload).digest('hex');
    expect(sent).toEqual({ bytes: payload.length, sha256 });
    expect(progress.at(-1)).toBe(payload.length);
    expect((await transport.readRange(remote, 1000, 10)).equals(payload.subarray(1000, 1010))).toBe(true);
    expect((await transport.readRange(remote, payload.length, 10)).length).toBe(0);
    const back = join(dir, 'back.bin');
    expect(await transport.download(remote, back)).toEqual({ bytes: payload.length, sha256 });
    expect((await readFile(back)).equals(payload)).toBe(true);
    expect(await transport.stat(join(dir, 'remote', 'missing'))).toBeNull();
  });

  it('makes nested folders over SFTP, accepts one that exists, and refuses a file in the way', async () => {
    const nested = join(dir, 'made', 'a', 'b');
    await transport.mkdirp(nested);
    await transport.mkdirp(nested);
    expect((await lstat(nested)).isDirectory()).toBe(true);
    await writeFile(join(dir, 'made', 'file'), 'x');
    await expect(transport.mkdirp(join(dir, 'made', 'file'))).rejects.toThrow();
    await expect(transport.mkdirp(join(dir, 'made', 'file', 'below'))).rejects.toThrow();
  });

  it('points a link at its target, replacing a link that had the name', async () => {
    await writeFile(join(dir, 'first'), '1');
    await writeFile(join(dir, 'second'), '2');
    const link = join(dir, 'link');
    await transport.symlink('first', link);
    expect(await readlink(link)).toBe('first');
    await transport.symlink('second', link);
    expect(await readlink(link)).toBe('second');
    expect(await readFile(link, 'utf8')).toBe('2');
  });

  it('refuses a host whose key does not match the pinned fingerprint', async () => {
    const wrong = createSshTransport({ ...target, hostKeyFingerprint: `SHA256:${'A'.repeat(43)}` });
    const error = await wrong.exec(['true']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostUnreachableError);
    expect((error as Error).message).toMatch(/does not match the configured one/);
    await wrong.close();
  });

  it('trusts a host listed in a known_hosts file', async () => {
    const viaKnownHosts = createSshTransport({ ...target, hostKeyFingerprint: undefined, knownHostsPath: sshd.knownHostsPath });
    expect((await viaKnownHosts.exec(['echo', 'ok'])).stdout).toBe('ok\n');
    await viaKnownHosts.close();
  });
});

describe('SSH transport on a host whose login files are slow', () => {
  it('runs the login files once for many commands in a row, not once per command', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cosmos-ssh-logins-'));
    await chmod(dir, 0o755);
    const count = join(dir, 'logins');
    const sshd = await startSshd({ dir: join(dir, 'sshd'), loginFile: `echo x >> ${count}\n` });
    const transport = createSshTransport({ name: 'login-host', host: sshd.host, port: sshd.port, user: sshd.user, privateKeyPath: sshd.privateKeyPath, hostKeyFingerprint: sshd.hostKeyFingerprint });
    const logins = async () => (await readFile(count, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
    try {
      await transport.exec(['true']);
      const afterFirst = await logins();
      expect(afterFirst).toBeGreaterThan(0);
      for (let i = 0; i < 10; i += 1) await transport.exec(['echo', `${i}`]);
      expect(await logins()).toBe(afterFirst);
    } finally {
      await transport.close();
      await sshd.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('SSH transport on a host whose login files print and are slow', () => {
  it('parses only what the command printed, and reports the slow login shell once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cosmos-ssh-login-'));
    await chmod(dir, 0o755);
    const sshd = await startSshd({ dir: join(dir, 'sshd'), loginFile: 'echo "pyenv: shims rehashed"; echo "conda: base" >&2; sleep 3.2\n' });
    const transport = createSshTransport({ name: 'noisy-host', host: sshd.host, port: sshd.port, user: sshd.user, privateKeyPath: sshd.privateKeyPath, hostKeyFingerprint: sshd.hostKeyFingerprint });
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      const result = await transport.exec(['sh', '-c', 'printf \'{"a":1}\\n\'; echo note >&2; exit 3'], { okExitCodes: [3] });
      expect(result).toEqual({ stdout: '{"a":1}\n', stderr: 'note\n', exitCode: 3 });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(warnings.filter((w) => w.includes('noisy-host'))).toHaveLength(1);
      expect(warnings[0]).toMatch(/a login on noisy-host takes \d+\.\d s for the SSH user's login files/);
    } finally {
      process.off('warning', onWarning);
      await transport.close();
      await sshd.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
