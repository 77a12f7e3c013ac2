import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSshd, type TestSshd } from '../helpers/sshd.js';

const root = mkdtempSync(join(tmpdir(), 'cosmos-sshd-test-'));
let sshd: TestSshd;
beforeAll(async () => {
  sshd = await startSshd({ dir: root });
});
afterAll(async () => {
  await sshd?.stop();
  rmSync(root, { recursive: true, force: true });
});

const fingerprintOf = (key: Buffer) => `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;

/** Connects with ssh2, accepting the host only if its key has `pinned` fingerprint, and runs `command`. */
function runOverSsh(pinned: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    client
      .on('ready', () => {
        client.exec(command, (err, stream) => {
          if (err) return reject(err);
          let out = '';
          stream.on('data', (chunk: Buffer) => (out += chunk.toString()));
          stream.on('close', () => (client.end(), resolve(out)));
        });
      })
      .on('error', reject)
      .connect({
        host: sshd.host,
        port: sshd.port,
        username: sshd.user,
        privateKey: readFileSync(sshd.privateKeyPath),
        hostVerifier: (key: Buffer) => fingerprintOf(key) === pinned,
        readyTimeout: 10_000,
      });
  });
}

describe('test sshd helper', () => {
  it('runs a command for a client that verifies the pinned host key fingerprint', async () => {
    expect(sshd.hostKeyFingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(await runOverSsh(sshd.hostKeyFingerprint, 'echo ok')).toBe('ok\n');
  });

  it('refuses the connection when the pinned fingerprint does not match', async () => {
    const wrong = `SHA256:${createHash('sha256').update('another host').digest('base64').replace(/=+$/, '')}`;
    await expect(runOverSsh(wrong, 'echo ok')).rejects.toThrow(/verification failed/i);
  });

  it('writes a known_hosts file that the OpenSSH client accepts with strict checking', async () => {
    const { stdout } = await promisify(execFile)('ssh', [
      '-o', 'BatchMode=yes',
      '-o', 'StrictHostKeyChecking=yes',
      '-o', `UserKnownHostsFile=${sshd.knownHostsPath}`,
      '-o', 'GlobalKnownHostsFile=/dev/null',
      '-i', sshd.privateKeyPath,
      '-p', String(sshd.port),
      `${sshd.user}@${sshd.host}`,
      'echo ok',
    ]);
    expect(stdout).toBe('ok\n');
  });
});
