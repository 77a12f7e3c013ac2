import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { pickFreePort } from '../../src/services/free-port.js';

const run = promisify(execFile);
const SSHD = '/usr/sbin/sshd';
const READY_TIMEOUT_MS = 10_000;

export interface TestSshd {
  host: '127.0.0.1';
  port: number;
  user: string;
  privateKeyPath: string;
  /** 'SHA256:…' exactly as `ssh-keygen -lf` prints it */
  hostKeyFingerprint: string;
  knownHostsPath: string;
  stop(): Promise<void>;
}

/** Starts a real OpenSSH server on 127.0.0.1 with throwaway host and user keys under `dir`. */
export async function startSshd(opts: { dir: string }): Promise<TestSshd> {
  if (!existsSync(SSHD)) {
    throw new Error(`${SSHD} not found: the SSH tests need a real OpenSSH server (apt-get install openssh-server)`);
  }
  const dir = resolve(opts.dir);
  mkdirSync(dir, { recursive: true });
  // Privilege separation directory; sshd refuses to start without it when run as root.
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });

  const hostKeyPath = join(dir, 'host_ed25519');
  const privateKeyPath = join(dir, 'user_ed25519');
  await generateKey(hostKeyPath, 'cosmos-test-host');
  await generateKey(privateKeyPath, 'cosmos-test-user');
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${privateKeyPath}.pub`));

  const port = await pickFreePort();
  const user = userInfo().username;
  const configPath = join(dir, 'sshd_config');
  writeFileSync(configPath, sshdConfig(dir, hostKeyPath, port));
  const hostPublicKey = readFileSync(`${hostKeyPath}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  const knownHostsPath = join(dir, 'known_hosts');
  writeFileSync(knownHostsPath, `[127.0.0.1]:${port} ${hostPublicKey}\n`);
  const { stdout } = await run('ssh-keygen', ['-lf', `${hostKeyPath}.pub`]);
  const hostKeyFingerprint = stdout.split(/\s+/)[1] ?? '';

  const child = spawn(SSHD, ['-D', '-e', '-f', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    await stopChild(child);
  };
  try {
    await waitForPort(child, port, () => stderr);
  } catch (err) {
    await stop();
    throw err;
  }
  return { host: '127.0.0.1', port, user, privateKeyPath, hostKeyFingerprint, knownHostsPath, stop };
}

function sshdConfig(dir: string, hostKeyPath: string, port: number): string {
  return [
    `ListenAddress 127.0.0.1:${port}`,
    `HostKey ${hostKeyPath}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    'StrictModes no',
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'Subsystem sftp internal-sftp',
    'MaxStartups 100',
    'MaxSessions 100',
    'LogLevel INFO',
    '',
  ].join('\n');
}

async function generateKey(path: string, comment: string): Promise<void> {
  if (existsSync(path)) return;
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
}

async function waitForPort(child: ChildProcess, port: number, stderr: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`sshd exited (${child.exitCode ?? child.signalCode}) before listening:\n${stderr()}`);
    }
    const open = await new Promise<boolean>((res) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), res(true)));
      socket.once('error', () => res(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`sshd did not listen on 127.0.0.1:${port} within ${READY_TIMEOUT_MS} ms:\n${stderr()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
