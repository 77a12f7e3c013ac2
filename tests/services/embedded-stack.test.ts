import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../../src/services/embedded-postgres.js';
import { startTemporalDevServer } from '../../src/services/temporal-dev-server.js';
import { demoInputs, projectRoot } from '../helpers/pipeline-harness.js';
import { runCosmos } from '../helpers/run-cosmos.js';

// Real `cosmos dev` processes killed with SIGKILL: what they started must not be left running or in the way.

interface Proc { pid: number; ppid: number; args: string[] }

/** Every live (not zombie) process, from /proc. */
function processes(): Proc[] {
  const found: Proc[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue;
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0$/, '').split('\0');
      found.push({ pid: Number(entry), ppid: Number(fields[1]), args });
    } catch {
      // exited while we looked
    }
  }
  return found;
}

/** Every process whose command line names the data dir. */
const namingDir = (dataDir: string) => processes().filter((p) => p.args.some((a) => a.startsWith(dataDir)));
const isSimDaemon = (p: Proc) => p.args.some((a) => a.endsWith('/daemon.js'));
/** The PostgreSQL and Temporal servers of a data dir (their command lines name it; the simulator's daemon does too). */
const serversOf = (dataDir: string) => namingDir(dataDir).filter((p) => !isSimDaemon(p));
const pidsOf = (procs: Proc[]) => procs.map((p) => p.pid).sort((a, b) => a - b);

async function waitUntil(what: string, done: () => boolean, ms = 20_000): Promise<void> {
  for (const deadline = Date.now() + ms; !done();) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(100);
  }
}

describe('cosmos dev killed with SIGKILL', () => {
  const homes: string[] = [];
  const started: ChildProcess[] = [];
  afterAll(async () => {
    for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
    await sleep(started.length ? 3_000 : 0);
    // Servers a failed test left orphaned (no watchdog, no next start) must not outlive the run.
    for (const home of homes) for (const server of namingDir(join(home, 'data'))) process.kill(server.pid, 'SIGKILL');
    for (const home of homes) await rm(home, { recursive: true, force: true });
  });

  async function newHome(): Promise<{ home: string; dataDir: string }> {
    const home = await mkdtemp(join(tmpdir(), 'cosmos-stack-'));
    await chmod(home, 0o755); // as root, postgres runs as another user and must reach its data dir
    homes.push(home);
    return { home, dataDir: join(home, 'data') };
  }

  const envOf = (home: string) => ({ HOME: home, COSMOS_DATA_DIR: join(home, 'data'), COSMOS_CONFIG: '', NO_COLOR: '1' });
  const cosmos = (home: string, args: string[]) => runCosmos('', args, { cwd: home, env: envOf(home) });

  /** Starts `cosmos dev`; resolves with its output once it is ready, rejects (with the output) if it exits first. */
  async function startDev(home: string): Promise<{ child: ChildProcess; output: string[]; stderr: string[] }> {
    const child = spawn(process.execPath, [join(projectRoot, 'bin', 'cosmos.js'), 'dev', '--port', '0'], {
      cwd: home, env: { ...process.env, DATABASE_URL: '', TEMPORAL_ADDRESS: '', ...envOf(home) }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.push(child);
    const output: string[] = [];
    const stderr: string[] = [];
    child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    return new Promise((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        output.push(line);
        if (line.includes('Ctrl-C stops everything')) resolve({ child, output, stderr });
      });
      child.once('exit', (code) =>
        reject(Object.assign(new Error(`cosmos dev exited ${code}:\n${output.join('\n')}\n${stderr.join('')}`), { code, stderr: stderr.join('') })));
    });
  }

  async function stopDev(child: ChildProcess): Promise<number | null> {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    return exited;
  }

  async function kill9(pids: number[]): Promise<void> {
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    await waitUntil(`pids ${pids.join(', ')} are gone`, () => !processes().some((p) => pids.includes(p.pid)), 5_000);
  }

  async function createPrompt(home: string): Promise<string> {
    const created = await cosmos(home, ['create', 'prompt', 'a lighthouse in fog', demoInputs, '--json']);
    expect(created.code, created.stderr).toBe(0);
    return (JSON.parse(created.stdout) as { prompt: { id: string } }).prompt.id;
  }

  async function listedPromptIds(home: string): Promise<string[]> {
    const listed = await cosmos(home, ['list', 'prompts', '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    return (JSON.parse(listed.stdout) as { prompts: Array<{ id: string }> }).prompts.map((p) => p.id);
  }

  it('takes PostgreSQL and the Temporal dev server down with it; the next start serves the same prompts and keeps a start beside it out', async () => {
    const { home, dataDir } = await newHome();
    const first = await startDev(home);
    const promptId = await createPrompt(home);
    expect(serversOf(dataDir).map((p) => p.ppid)).toEqual([first.child.pid, first.child.pid]);

    await kill9([first.child.pid!]);
    await waitUntil('its servers have stopped', () => serversOf(dataDir).length === 0);
    const unanswered = await cosmos(home, ['list', 'prompts']);
    expect(unanswered.code).toBe(1);
    expect(unanswered.stderr).toMatch(/no running stack found in .*did not answer; start one with `cosmos dev`/);

    const second = await startDev(home);
    expect(await listedPromptIds(home)).toEqual([promptId]);

    // Its servers are in use, not orphans: a start on the same data dir fails and leaves them alone.
    const servers = pidsOf(serversOf(dataDir));
    const refused = await startDev(home).then(() => null, (e: { code: number; stderr: string }) => e);
    expect(refused?.code).toBe(1);
    expect(refused?.stderr).toMatch(/is in use by PostgreSQL \(pid \d+\), started by a process that still runs \(pid \d+\)/);
    expect(pidsOf(serversOf(dataDir))).toEqual(servers);
    expect(await listedPromptIds(home)).toEqual([promptId]);

    expect(await stopDev(second.child)).toBe(0);
    // Nothing of the stack is left, the simulator's command daemon included.
    expect(namingDir(dataDir)).toEqual([]);
  }, 90_000);

  it('leaves servers the CLI still finds when its watchdogs die too, and the next start stops them and keeps the data', async () => {
    const { home, dataDir } = await newHome();
    const first = await startDev(home);
    const promptId = await createPrompt(home);
    const orphans = serversOf(dataDir);
    const watchdogs = processes().filter((p) => p.ppid === first.child.pid && p.args.some((a) => a.startsWith('// cosmos watchdog')));
    expect(watchdogs).toHaveLength(2);

    // As if every process of that run died at once, watchdogs included: the servers stay up, orphaned.
    await kill9([first.child.pid!, ...watchdogs.map((w) => w.pid)]);
    await sleep(500);
    expect(pidsOf(serversOf(dataDir))).toEqual(pidsOf(orphans));
    expect(await listedPromptIds(home)).toEqual([promptId]);

    const second = await startDev(home);
    const said = second.output.join('\n');
    expect(said).toMatch(/stopping PostgreSQL pid \d+, left running on .* by an earlier run/);
    expect(said).toMatch(/stopping Temporal dev server pid \d+, left running on .* by an earlier run/);
    const now = pidsOf(serversOf(dataDir));
    expect(now).toHaveLength(2);
    for (const orphan of orphans) expect(now).not.toContain(orphan.pid);
    expect(await listedPromptIds(home)).toEqual([promptId]);

    expect(await stopDev(second.child)).toBe(0);
    expect(serversOf(dataDir)).toEqual([]);
  }, 90_000);

  it('prints the lines of the PostgreSQL log that say why the server did not start', async () => {
    const { home, dataDir } = await newHome();
    const pg = await startEmbeddedPostgres({ dataDir: join(dataDir, 'postgres') });
    await pg.stop();
    appendFileSync(join(dataDir, 'postgres', 'postgresql.conf'), 'no_such_setting = on\n');

    const error = await startDev(home).then(() => null, (e: { code: number; stderr: string }) => e);
    expect(error?.code).toBe(1);
    const stderr = error!.stderr;
    expect(stderr.trimEnd().split('\n').length).toBeGreaterThan(3);
    expect(stderr).toMatch(/^cosmos: PostgreSQL did not start: embedded-postgres: starting postgres on port \d+ failed in .*: the server exited\n/m);
    expect(stderr).toMatch(/unrecognized configuration parameter "no_such_setting"/);
    expect(stderr).toMatch(/FATAL: +configuration file .* contains errors/);
    expect(serversOf(dataDir)).toEqual([]);
  }, 60_000);

  it('signals no process whose pid a pid file names unless it is that data dir\'s server', async () => {
    const { dataDir } = await newHome();
    const bystander = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const pgDir = join(dataDir, 'postgres');
      await (await startEmbeddedPostgres({ dataDir: pgDir })).stop();
      // As if the pids of servers of an earlier run had been reused by an unrelated process.
      writeFileSync(join(pgDir, 'postmaster.pid'), `${bystander.pid}\n${pgDir}\n`);
      const temporalDir = join(dataDir, 'temporal');
      await mkdir(temporalDir, { recursive: true });
      const startTime = readFileSync(`/proc/${bystander.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19];
      const deadOwner = { pid: 999_999_999, startTime: '0' };
      writeFileSync(join(temporalDir, 'temporal.pid'), JSON.stringify({ pid: bystander.pid, startTime, owner: deadOwner }));

      const pg = await startEmbeddedPostgres({ dataDir: pgDir });
      await pg.stop();
      const temporal = await startTemporalDevServer({ dataDir: temporalDir, headless: true, searchAttributes: [] });
      await temporal.stop();
      expect(bystander.exitCode).toBeNull();
      expect(bystander.signalCode).toBeNull();
      expect(serversOf(dataDir)).toEqual([]);
    } finally {
      bystander.kill('SIGKILL');
    }
  }, 60_000);
});
