import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { demoInputs, projectRoot } from '../helpers/pipeline-harness.js';

interface DevProcess { child: ChildProcess; apiUrl: string; uiUrl: string; galleryUrl: string; output: string[] }

/** Every live process below `pid` (Temporal, PostgreSQL and its backends, …), from /proc. */
function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z') parents.set(Number(entry), Number(fields[1]));
    } catch {
      // Exited while we looked.
    }
  }
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const [child, ppid] of parents) if (ppid === parent) { found.push(child); walk(child); }
  };
  walk(pid);
  return found;
}

const isAlive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};

describe('cosmos dev', () => {
  let home: string;
  const started: ChildProcess[] = [];
  afterAll(async () => {
    for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (home) await rm(home, { recursive: true, force: true });
  });

  async function startDev(): Promise<DevProcess> {
    const child = spawn(process.execPath, [join(projectRoot, 'bin', 'cosmos.js'), 'dev', '--port', '0'], {
      cwd: home,
      env: { ...process.env, HOME: home, COSMOS_DATA_DIR: join(home, 'data'), COSMOS_CONFIG: '', DATABASE_URL: '', TEMPORAL_ADDRESS: '', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.push(child);
    const output: string[] = [];
    child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    const lines = createInterface({ input: child.stdout! });
    const ready = new Promise<DevProcess>((resolve, reject) => {
      let apiUrl = '';
      let uiUrl = '';
      let galleryUrl = '';
      lines.on('line', (line) => {
        output.push(line);
        apiUrl ||= /^\s+API\s+(http:\/\/\S+)/.exec(line)?.[1] ?? '';
        uiUrl ||= /^\s+Temporal Web UI\s+(http:\/\/\S+)/.exec(line)?.[1] ?? '';
        galleryUrl ||= /^\s+Gallery\s+(http:\/\/\S+)/.exec(line)?.[1] ?? '';
        if (line.includes('Ctrl-C stops everything')) resolve({ child, apiUrl, uiUrl, galleryUrl, output });
      });
      child.once('exit', (code) => reject(new Error(`cosmos dev exited ${code} before it was ready:\n${output.join('\n')}`)));
    });
    return Promise.race([ready, sleep(120_000).then(() => { throw new Error(`cosmos dev not ready in 120 s:\n${output.join('\n')}`); })]);
  }

  async function stopDev(dev: DevProcess): Promise<number | null> {
    const exited = new Promise<number | null>((resolve) => dev.child.once('exit', (code) => resolve(code)));
    dev.child.kill('SIGINT');
    return Promise.race([exited, sleep(60_000).then(() => { throw new Error(`cosmos dev did not stop in 60 s:\n${dev.output.join('\n')}`); })]);
  }

  let token = '';
  const json = async (url: string, init: RequestInit = {}) => {
    const response = await fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), Authorization: `Bearer ${token}` } });
    return { status: response.status, body: await response.json() as any };
  };

  it('runs a job end to end, stops every process it started on SIGINT, and sees the same data after a restart', async () => {
    home = await mkdtemp(join(tmpdir(), 'cosmos-dev-'));
    await chmod(home, 0o755);

    const dev = await startDev();
    expect(dev.output.join('\n')).toMatch(/GPU host\s+local \(local, simulator\)/);
    // No token configured: one made for the data directory, readable by its owner only, printed in the gallery URL.
    token = readFileSync(join(home, 'data', 'api-token'), 'utf8').trim();
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect(dev.galleryUrl).toBe(`${dev.apiUrl}/#token=${token}`);
    expect((await stat(join(home, 'data', 'api-token'))).mode & 0o777).toBe(0o600);
    // stack.json holds the embedded database's password.
    expect(readFileSync(join(home, 'data', 'stack.json'), 'utf8')).toMatch(/postgres(ql)?:\/\/[^:]+:[^@]+@/);
    expect((await stat(join(home, 'data', 'stack.json'))).mode & 0o777).toBe(0o600);
    expect((await fetch(`${dev.apiUrl}/runs`)).status).toBe(401);
    expect(await (await fetch(`${dev.apiUrl}/health`)).json()).toEqual({ ok: true });
    expect(await json(`${dev.apiUrl}/health`)).toEqual({ status: 200, body: { ok: true, database: 'ok', temporal: 'ok' } });
    expect((await fetch(dev.uiUrl)).status).toBe(200);
    const children = descendants(dev.child.pid!);
    expect(children.length).toBeGreaterThanOrEqual(2);

    const prompt = await json(`${dev.apiUrl}/prompts`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ text: 'a windmill at dusk', videoDir: demoInputs }),
    });
    const run = await json(`${dev.apiUrl}/runs`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ promptId: prompt.body.prompt.id }),
    });
    expect(run.status).toBe(201);
    const runId: string = run.body.run.id;
    expect(run.body.webUi).toContain(`${dev.uiUrl}/namespaces/default/workflows/run-${runId}`);
    let status = '';
    for (const deadline = Date.now() + 90_000; Date.now() < deadline && !['completed', 'failed', 'cancelled'].includes(status);) {
      await sleep(500);
      status = (await json(`${dev.apiUrl}/runs/${runId}`)).body.run.status;
    }
    expect(status).toBe('completed');

    expect(await stopDev(dev)).toBe(0);
    const survivors = [...children, ...descendants(dev.child.pid!)].filter(isAlive);
    expect(survivors).toEqual([]);
    await expect(fetch(`${dev.apiUrl}/health`)).rejects.toThrow();

    const again = await startDev();
    expect(again.galleryUrl).toBe(`${again.apiUrl}/#token=${token}`); // the same token on every start
    const shown = await json(`${again.apiUrl}/runs/${runId}`);
    expect(shown.body.run).toMatchObject({ id: runId, status: 'completed', promptId: prompt.body.prompt.id });
    expect((await fetch(`${again.apiUrl}/runs/${runId}/files/output.mp4`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
    expect(await stopDev(again)).toBe(0);
  }, 300_000);
});
