import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HostUnreachableError, RemoteCommandError } from '../../src/gpu/remote-command-error.js';
import { createSshTransport, type SshTarget } from '../../src/gpu/ssh-transport.js';
import type { GpuHostTransport } from '../../src/gpu/transport.js';
import { startSshd, type TestSshd } from '../helpers/sshd.js';

/** Faults of the link itself, injected into a real sshd: each ends in a named error within seconds, never a hang. */
describe('SSH transport when the link fails', () => {
  let dir: string;
  let sshd: TestSshd;
  let target: SshTarget;
  const opened: GpuHostTransport[] = [];
  const open = (extra: Partial<SshTarget> = {}) => {
    const transport = createSshTransport({ ...target, ...extra });
    opened.push(transport);
    return transport;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cosmos-ssh-faults-'));
    await chmod(dir, 0o755);
    sshd = await startSshd({ dir: join(dir, 'sshd') });
    target = {
      name: 'flaky-host', host: sshd.host, port: sshd.port, user: sshd.user, privateKeyPath: sshd.privateKeyPath,
      hostKeyFingerprint: sshd.hostKeyFingerprint, requestTimeoutMs: 1500, keepaliveIntervalMs: 500, connectTimeoutMs: 2000,
    };
  });
  afterEach(async () => {
    await sshd.resume();
    for (const transport of opened.splice(0)) await transport.close();
  });
  afterAll(async () => {
    await sshd?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('reconnects on the next call after a drop while idle, for commands and for SFTP alike', async () => {
    const transport = open();
    expect((await transport.exec(['echo', 'before'])).stdout).toBe('before\n');
    await writeFile(join(dir, 'file.txt'), 'hello');
    await sshd.dropConnections();
    await sleep(200);
    expect((await transport.exec(['echo', 'after'])).stdout).toBe('after\n');
    expect(await transport.stat(join(dir, 'file.txt'))).toEqual({ size: 5 });
    await sshd.dropConnections();
    await sleep(200);
    expect((await transport.readRange(join(dir, 'file.txt'), 1, 3)).toString()).toBe('ell');
  });

  it('fails a command cut off mid-way with HostUnreachableError, and the next call works', async () => {
    const transport = open();
    const running = transport.exec(['sleep', '30']).catch((e: unknown) => e);
    await sleep(500);
    const t0 = Date.now();
    await sshd.dropConnections();
    const error = await running;
    expect(error).toBeInstanceOf(HostUnreachableError);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect((await transport.exec(['echo', 'ok'])).stdout).toBe('ok\n');
  });

  it('answers HostUnreachableError while sshd is down and works again once it is back', async () => {
    const transport = open();
    await transport.exec(['true']);
    await sshd.pause();
    // Once the drop is noticed nothing can reach the host, so the error says the command never ran. (Sent on a link
    // that died unnoticed, a command's fate is unknown: HostUnreachableError without that promise.)
    await sleep(200);
    const t0 = Date.now();
    const exec = await transport.exec(['true']).catch((e: unknown) => e);
    const stat = await transport.stat(dir).catch((e: unknown) => e);
    expect(exec).toBeInstanceOf(HostUnreachableError);
    expect((exec as HostUnreachableError).beforeCommand).toBe(true);
    expect(stat).toBeInstanceOf(HostUnreachableError);
    expect(Date.now() - t0).toBeLessThan(5000);
    await sshd.resume();
    expect((await transport.exec(['echo', 'back'])).stdout).toBe('back\n');
  });

  it('gives up on a link that stops answering (a dead route) instead of hanging, then opens a fresh one', async () => {
    const transport = open();
    await transport.exec(['true']);
    await sshd.freezeConnections();
    const t0 = Date.now();
    const stat = await transport.stat(dir).catch((e: unknown) => e);
    expect(stat).toBeInstanceOf(HostUnreachableError);
    expect(Date.now() - t0).toBeLessThan(5_000);
    // The frozen connection was given up; the next call connects anew (the listener still answers).
    expect((await transport.exec(['echo', 'fresh'])).stdout).toBe('fresh\n');
    await sshd.dropConnections();
  });

  it('notices a frozen link through keepalives while a command waits on it', async () => {
    const transport = open();
    const running = transport.exec(['sleep', '30']).catch((e: unknown) => e);
    await sleep(500);
    const t0 = Date.now();
    await sshd.freezeConnections();
    expect(await running).toBeInstanceOf(HostUnreachableError);
    expect(Date.now() - t0).toBeLessThan(8_000);
    await sshd.dropConnections();
  });

  it('kills the remote command when its caller aborts, so a cancelled attempt leaves nothing running', async () => {
    const transport = open();
    const marker = join(dir, 'should-never-exist');
    const controller = new AbortController();
    const running = transport.exec(['sh', '-c', `sleep 2; touch ${marker}`], { signal: controller.signal }).catch((e: unknown) => e);
    await sleep(400);
    controller.abort();
    expect(await running).toBeInstanceOf(RemoteCommandError);
    await sleep(2500);
    expect(existsSync(marker)).toBe(false);
  });

  it('never runs a command whose caller gave up before it was sent', async () => {
    const transport = open();
    const marker = join(dir, 'cancelled-before-it-started');
    const error = await transport.exec(['touch', marker], { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteCommandError);
    expect((error as Error).message).toMatch(/cancelled before it started/);
    expect((await transport.exec(['echo', 'next'])).stdout).toBe('next\n');
    expect(existsSync(marker)).toBe(false);
  });

  it('kills the remote command when the link drops under it, unless it is one that must survive a drop', async () => {
    const transport = open();
    const killed = join(dir, 'cut-off-command-ran-on');
    const survived = join(dir, 'surviving-command-finished');
    const started = [join(dir, 'cut-off-started'), join(dir, 'surviving-started')];
    const cut = transport.exec(['sh', '-c', `touch ${started[0]}; sleep 1.5; touch ${killed}`]).catch((e: unknown) => e);
    const kept = transport.exec(['sh', '-c', `touch ${started[1]}; sleep 1.5; touch ${survived}`], { survivesDisconnect: true }).catch((e: unknown) => e);
    while (!started.every((path) => existsSync(path))) await sleep(20);
    await sshd.dropConnections();
    expect(await cut).toBeInstanceOf(HostUnreachableError);
    expect(await kept).toBeInstanceOf(HostUnreachableError);
    await sleep(2500);
    expect(existsSync(killed)).toBe(false);
    expect(existsSync(survived)).toBe(true);
  });

  it('keeps a command failure a RemoteCommandError and the session usable', async () => {
    const transport = open();
    const error = await transport.exec(['sh', '-c', 'exit 7']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteCommandError);
    expect((await transport.exec(['echo', 'still'])).stdout).toBe('still\n');
  });
});
