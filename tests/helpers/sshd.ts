import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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
  /** Kills every open connection (as a network drop or a host reboot does); the server keeps listening. */
  dropConnections(): Promise<void>;
  /** Freezes every open connection (SIGSTOP): packets are accepted but never answered, like a dead route. */
  freezeConnections(): Promise<void>;
  /** Stops listening and drops every connection: the host is unreachable until `resume`. */
  pause(): Promise<void>;
  /** Listens again on the same port with the same keys. */
  resume(): Promise<void>;
}

/** Starts a real OpenSSH server on 127.0.0.1 with throwaway host and user keys under `dir`. */
/**
 * `loginFile`: shell text every command's login shell runs first, as a GPU box's ~/.bashrc does (bash sources
 * $BASH_ENV for a non-interactive command, which sshd sets here, so the real ~/.bashrc is left alone).
 */
export async function startSshd(opts: { dir: string; logFile?: string; verbose?: boolean; loginFile?: string; maxSessions?: number }): Promise<TestSshd> {
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
  const loginFile = opts.loginFile === undefined ? undefined : join(dir, 'login-file.sh');
  if (loginFile) writeFileSync(loginFile, opts.loginFile ?? '');
  writeFileSync(configPath, sshdConfig(dir, hostKeyPath, port, opts.verbose ?? false, opts.maxSessions ?? 100) + (loginFile ? `SetEnv BASH_ENV=${loginFile}\n` : ''));
  const hostPublicKey = readFileSync(`${hostKeyPath}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  const knownHostsPath = join(dir, 'known_hosts');
  writeFileSync(knownHostsPath, `[127.0.0.1]:${port} ${hostPublicKey}\n`);
  const { stdout } = await run('ssh-keygen', ['-lf', `${hostKeyPath}.pub`]);
  const hostKeyFingerprint = stdout.split(/\s+/)[1] ?? '';

  let child: ChildProcess | null = null;
  let stderr = '';
  const killOnExit = () => child?.kill('SIGKILL');
  process.on('exit', killOnExit);
  const listen = async () => {
    const started = spawn(SSHD, ['-D', '-e', '-f', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = started;
    started.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    if (opts.logFile) started.stderr?.pipe(createWriteStream(opts.logFile, { flags: 'a' }));
    await waitForPort(started, port, () => stderr);
  };
  // Only sshd's own per-connection processes: as after a real drop, the user's commands lose their channel and
  // end on EOF or SIGPIPE, instead of being killed mid-way (which leaves, e.g., a shell rc's lock files behind).
  const sessionProcesses = () => (child?.pid ? descendantsOf(child.pid).filter((pid) => commandName(pid).startsWith('sshd')) : []);
  const dropConnections = async () => {
    for (const pid of sessionProcesses()) signalQuietly(pid, 'SIGKILL');
  };
  const freezeConnections = async () => {
    for (const pid of sessionProcesses()) signalQuietly(pid, 'SIGSTOP');
  };
  const pause = async () => {
    await dropConnections();
    // Frozen sessions must be killed too (SIGKILL works on stopped processes); then the listener goes.
    if (child) await stopChild(child);
    child = null;
  };
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    await pause();
  };
  try {
    await listen();
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    host: '127.0.0.1', port, user, privateKeyPath, hostKeyFingerprint, knownHostsPath, stop, dropConnections, freezeConnections, pause,
    resume: async () => { if (!child) await listen(); },
  };
}

/** Every process below `pid` (sshd's per-connection children and what they run), deepest first. */
function descendantsOf(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name is in parentheses and may hold spaces; the parent pid is the second field after it.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // The process ended while we looked.
    }
  }
  const found: number[] = [];
  const visit = (parent: number) => {
    for (const c of children.get(parent) ?? []) {
      visit(c);
      found.push(c);
    }
  };
  visit(pid);
  return found;
}

function commandName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

function signalQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/** OpenSSH's sftp-server, logging each file operation (VERBOSE) to sftp.log instead of syslog. */
function sftpLoggingWrapper(dir: string): string {
  const path = join(dir, 'sftp-logged.sh');
  writeFileSync(path, `#!/bin/sh\nexec /usr/lib/openssh/sftp-server -l VERBOSE -e 2>>${join(dir, 'sftp.log')}\n`, { mode: 0o755 });
  return path;
}

/** `verbose` logs every command (sshd DEBUG1) and every SFTP file operation (`<dir>/sftp.log`), for benchmarks that count them. */
function sshdConfig(dir: string, hostKeyPath: string, port: number, verbose: boolean, maxSessions: number): string {
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
    verbose ? `Subsystem sftp ${sftpLoggingWrapper(dir)}` : 'Subsystem sftp internal-sftp',
    'MaxStartups 100',
    `MaxSessions ${maxSessions}`,
    verbose ? 'LogLevel DEBUG1' : 'LogLevel INFO',
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
