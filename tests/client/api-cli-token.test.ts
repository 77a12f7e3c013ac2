import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { projectRoot } from '../helpers/pipeline-harness.js';

/** Starts the built `cosmos api` and reads the line it prints once it listens. */
async function startApi(home: string, env: Record<string, string>): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, [join(projectRoot, 'bin', 'cosmos.js'), 'api', '--port', '0'], {
    cwd: home, env: { ...process.env, HOME: home, COSMOS_CONFIG: '', NO_COLOR: '1', COSMOS_API_TOKEN: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const errors: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => errors.push(chunk.toString()));
  const ready = new Promise<{ child: ChildProcess; line: string }>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => { if (line.startsWith('cosmos api:')) resolve({ child, line }); });
    child.once('exit', (code) => reject(new Error(`cosmos api exited ${code}: ${errors.join('')}`)));
  });
  return Promise.race([ready, sleep(60_000).then(() => { throw new Error(`cosmos api not ready in 60 s: ${errors.join('')}`); })]);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  await exited;
}

describe('cosmos api always has a token', () => {
  let home: string;
  let database: TestDatabase;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'cosmos-api-token-'));
    await chmod(home, 0o755);
    database = await createTestDatabase(inject('databaseUrl'));
  });
  afterAll(async () => {
    for (const child of children) await stop(child);
    await database?.drop();
    if (home) await rm(home, { recursive: true, force: true });
  });

  const env = (dataDir: string, extra: Record<string, string> = {}) =>
    ({ COSMOS_DATA_DIR: dataDir, DATABASE_URL: database.url, TEMPORAL_ADDRESS: inject('temporalAddress'), ...extra });

  it('makes one for a data directory without a configured token (mode 0600, the same on the next start) and prints the gallery URL with it', async () => {
    const dataDir = join(home, 'data');
    const first = await startApi(home, env(dataDir));
    children.push(first.child);
    const token = readFileSync(join(dataDir, 'api-token'), 'utf8').trim();
    expect((await stat(join(dataDir, 'api-token'))).mode & 0o777).toBe(0o600);
    const url = /^cosmos api: (http:\/\/\S+) \(gallery (\S+),/.exec(first.line);
    expect(url?.[2]).toBe(`${url?.[1]}/#token=${token}`);
    expect((await fetch(`${url![1]}/runs`)).status).toBe(401);
    expect((await fetch(`${url![1]}/runs`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
    expect(await (await fetch(`${url![1]}/health`)).json()).toEqual({ ok: true });
    await stop(first.child);

    const second = await startApi(home, env(dataDir));
    children.push(second.child);
    expect(second.line).toContain(`#token=${token}`);
    await stop(second.child);
  });

  it('never prints a configured token, and takes it from COSMOS_API_TOKEN', async () => {
    const configured = 'a-configured-token-0123456789';
    const dataDir = join(home, 'configured');
    const started = await startApi(home, env(dataDir, { COSMOS_API_TOKEN: configured }));
    children.push(started.child);
    expect(started.line).not.toContain(configured);
    expect(started.line).toContain('#token=<your [api] token>');
    const apiUrl = /^cosmos api: (http:\/\/\S+)/.exec(started.line)![1]!;
    expect((await fetch(`${apiUrl}/runs`, { headers: { Authorization: `Bearer ${configured}` } })).status).toBe(200);
    await expect(stat(join(dataDir, 'api-token'))).rejects.toThrow();
    await stop(started.child);
  });

  it('tightens an api-token file others could read before using it', async () => {
    const dataDir = join(home, 'loose');
    await mkdir(dataDir, { recursive: true });
    await writeFile(join(dataDir, 'api-token'), 'a-token-someone-left-readable\n', { mode: 0o644 });
    const started = await startApi(home, env(dataDir));
    children.push(started.child);
    expect((await stat(join(dataDir, 'api-token'))).mode & 0o777).toBe(0o600);
    expect(started.line).toContain('#token=a-token-someone-left-readable');
    await stop(started.child);
  });
});
