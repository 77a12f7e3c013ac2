/**
 * One link's half of `bench/transfers.ts`: starts a real sshd on 127.0.0.1 (inside whatever network namespace this
 * process runs in, directly or through a delay relay that emulates a WAN link), then times uploads and downloads of one random file with our transport, OpenSSH `scp` and
 * `sftp -b`, and paramiko (the old system's library), interleaved round by round. Prints one JSON line per sample.
 *
 *   npx tsx bench/transfer-round.ts --size-mb 300 --rounds 3 [--tools ours,scp,sftp,paramiko] [--depth 16]
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs, promisify } from 'node:util';
import { createSshTransport } from '../src/gpu/ssh-transport.js';
import { startSshd, type TestSshd } from '../tests/helpers/sshd.js';

const exec = promisify(execFile);
const { values } = parseArgs({
  options: {
    'size-mb': { type: 'string', default: '300' }, rounds: { type: 'string', default: '3' },
    tools: { type: 'string', default: 'ours,scp,sftp,paramiko' },
    // Zero: straight to sshd over loopback. Otherwise every tool goes through bench/delay-relay.ts.
    'one-way-ms': { type: 'string', default: '0' }, rate: { type: 'string', default: '125000000' },
  },
});
const sizeBytes = Number(values['size-mb']) * 1024 * 1024;
const rounds = Number(values.rounds);
const tools = values.tools!.split(',');

type Direction = 'upload' | 'download';
type Tool = (sshd: TestSshd, direction: Direction, local: string, remote: string) => Promise<void>;

const sshOptions = (sshd: TestSshd) => ['-i', sshd.privateKeyPath, '-o', `UserKnownHostsFile=${sshd.knownHostsPath}`,
  '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes'];
const remoteSpec = (sshd: TestSshd, path: string) => `${sshd.user}@${sshd.host}:${path}`;

const runners: Record<string, Tool> = {
  async ours(sshd, direction, local, remote) {
    const transport = createSshTransport({
      name: 'bench', host: sshd.host, port: sshd.port, user: sshd.user,
      privateKeyPath: sshd.privateKeyPath, hostKeyFingerprint: sshd.hostKeyFingerprint,
    });
    try {
      // Connection setup is timed too, as it is for the OpenSSH tools.
      if (direction === 'upload') await transport.upload(local, remote);
      else await transport.download(remote, local);
    } finally {
      await transport.close();
    }
  },
  async scp(sshd, direction, local, remote) {
    const args = ['-q', '-P', String(sshd.port), ...sshOptions(sshd)];
    await exec('scp', direction === 'upload' ? [...args, local, remoteSpec(sshd, remote)] : [...args, remoteSpec(sshd, remote), local]);
  },
  async sftp(sshd, direction, local, remote) {
    const batch = `${local}.batch`;
    await writeFile(batch, direction === 'upload' ? `put ${local} ${remote}\n` : `get ${remote} ${local}\n`);
    await exec('sftp', ['-q', '-b', batch, '-P', String(sshd.port), ...sshOptions(sshd), `${sshd.user}@${sshd.host}`]);
  },
  async paramiko(sshd, direction, local, remote) {
    const script = [
      'import sys, paramiko',
      'host, port, user, key, known, direction, local, remote = sys.argv[1:]',
      'client = paramiko.SSHClient()',
      'client.load_host_keys(known)',
      'client.connect(host, int(port), username=user, key_filename=key, look_for_keys=False, allow_agent=False)',
      'sftp = client.open_sftp()',
      'sftp.put(local, remote) if direction == "upload" else sftp.get(remote, local)',
      'client.close()',
    ].join('\n');
    await exec('python3', ['-c', script, sshd.host, String(sshd.port), sshd.user, sshd.privateKeyPath, sshd.knownHostsPath, direction, local, remote]);
  },
};

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function writeRandomFile(path: string, bytes: number): Promise<void> {
  const file = await open(path, 'w');
  for (let written = 0; written < bytes; written += 8 << 20) await file.write(randomBytes(Math.min(8 << 20, bytes - written)));
  await file.close();
}

/** Starts bench/delay-relay.ts in front of sshd and returns sshd as the tools should see it through the relay. */
async function throughRelay(sshd: TestSshd, stops: Array<() => void>): Promise<TestSshd> {
  const relay = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'delay-relay.ts'),
    '--target', String(sshd.port), '--one-way-ms', values['one-way-ms']!, '--rate', values.rate!], { stdio: ['ignore', 'pipe', 'inherit'] });
  stops.push(() => relay.kill('SIGTERM'));
  const [line] = await once(createInterface({ input: relay.stdout }), 'line') as [string];
  const port = Number(line);
  const knownHostsPath = `${sshd.knownHostsPath}.relay`;
  const entry = (await readFile(sshd.knownHostsPath, 'utf8')).replace(`]:${sshd.port} `, `]:${port} `);
  await writeFile(knownHostsPath, entry);
  return { ...sshd, port, knownHostsPath };
}

const dir = await mkdtemp(join(tmpdir(), 'cosmos-bench-transfer-'));
const server = await startSshd({ dir: join(dir, 'sshd') });
const stops: Array<() => void> = [];
try {
  const sshd = Number(values['one-way-ms']) > 0 ? await throughRelay(server, stops) : server;
  const source = join(dir, 'source.bin');
  await writeRandomFile(source, sizeBytes);
  const expected = await sha256Of(source);
  for (let round = 0; round < rounds; round += 1) {
    for (const tool of tools) {
      const runner = runners[tool];
      if (!runner) throw new Error(`unknown tool ${tool}; known: ${Object.keys(runners).join(', ')}`);
      for (const direction of ['upload', 'download'] as const) {
        const remote = join(dir, `remote-${tool}.bin`);
        const local = direction === 'upload' ? source : join(dir, `back-${tool}.bin`);
        const started = process.hrtime.bigint();
        await runner(sshd, direction, local, remote);
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const landed = await sha256Of(direction === 'upload' ? remote : local);
        if (landed !== expected) throw new Error(`${tool} ${direction} corrupted the file`);
        console.log(JSON.stringify({ tool, direction, seconds, mbPerSecond: sizeBytes / 1e6 / seconds }));
        if (direction === 'download') await rm(local, { force: true });
      }
      await rm(join(dir, `remote-${tool}.bin`), { force: true });
    }
  }
} finally {
  for (const stop of stops) stop();
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}
