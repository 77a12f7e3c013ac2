import { spawn } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSim, eventually, waitForExitCode, type Sim } from './helpers.js';

vi.setConfig({ testTimeout: 30_000 });

let sim: Sim;
beforeEach(async () => {
  sim = await createSim();
});
afterEach(async () => {
  await sim.cleanup();
});

describe('docker ps', () => {
  it('lists running containers, all with -a, and filters by label, name and status', async () => {
    await sim.runContainer('cosmos-transfer-rs_1', ['sleep', '30'], ['--label', 'cosmos.model=transfer']);
    await sim.runContainer('cosmos-upscale-rs_2', ['true'], ['--label', 'cosmos.model=upscale']);
    await sim.docker('run', '-d', '--name', 'unrelated', '-v', `${sim.workspace}:/workspace`, 'img', 'sleep', '30');
    await waitForExitCode(sim, 'cosmos-upscale-rs_2');
    const names = async (...args: string[]) =>
      (await sim.docker('ps', ...args, '--format', '{{.Names}}')).stdout.split('\n').filter(Boolean).sort();

    expect(await names()).toEqual(['cosmos-transfer-rs_1', 'unrelated']);
    expect(await names('-a')).toEqual(['cosmos-transfer-rs_1', 'cosmos-upscale-rs_2', 'unrelated']);
    expect(await names('-a', '--filter', 'label=cosmos.run_id')).toEqual(['cosmos-transfer-rs_1', 'cosmos-upscale-rs_2']);
    expect(await names('-a', '--filter', 'label=cosmos.model=upscale')).toEqual(['cosmos-upscale-rs_2']);
    expect(await names('-a', '--filter', 'name=cosmos-')).toEqual(['cosmos-transfer-rs_1', 'cosmos-upscale-rs_2']);
    expect(await names('-a', '--filter', 'status=exited')).toEqual(['cosmos-upscale-rs_2']);
    expect(await names('-a', '--filter', 'label=cosmos.run_id', '--filter', 'status=running')).toEqual(['cosmos-transfer-rs_1']);
  });

  it('prints one JSON object per container with {{json .}}', async () => {
    const id = (await sim.runContainer('rs_json', ['sleep', '30'])).stdout.trim();
    const result = await sim.docker('ps', '--filter', 'label=cosmos.run_id=rs_json', '--format', '{{json .}}');
    const rows = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, string>);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      ID: id.slice(0, 12),
      Names: 'rs_json',
      Image: 'cosmos-transfer1:sim',
      State: 'running',
      Labels: 'cosmos.run_id=rs_json',
    });
    expect(rows[0]?.Status).toMatch(/^Up /);
    expect(rows[0]?.CreatedAt).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000 UTC$/);
    expect((await sim.docker('ps', '-q', '--no-trunc')).stdout).toBe(`${id}\n`);
    expect((await sim.docker('ps', '--format', '{{.Label "cosmos.run_id"}}')).stdout).toBe('rs_json\n');
  });

  it('prints a table like docker by default', async () => {
    await sim.runContainer('tabled', ['sleep', '30']);
    const lines = (await sim.docker('ps')).stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES$/);
    expect(lines[1]).toMatch(/^[0-9a-f]{12}\s+cosmos-transfer1:sim\s+"sleep 30"\s+.*Up .*tabled$/);
  });
});

describe('docker logs', () => {
  it('keeps stdout and stderr apart and keeps \\r-redrawn progress bars intact', async () => {
    await sim.runContainer('streams', ['sh', '-c', 'echo out1; printf "  0%%|bar\\r 50%%|bar\\r100%%|bar\\n" >&2; echo out2']);
    await waitForExitCode(sim, 'streams');
    const logs = await sim.docker('logs', 'streams');
    expect(logs.stdout).toBe('out1\nout2\n');
    expect(logs.stderr).toBe('  0%|bar\r 50%|bar\r100%|bar\n');
  });

  it('--since returns only lines logged after the given time, in any of Docker\'s time formats', async () => {
    await sim.runContainer('since', ['sh', '-c', 'echo early; sleep 1.2; echo late']);
    await waitForExitCode(sim, 'since');
    const stamped = (await sim.docker('logs', '--timestamps', 'since')).stdout.trim().split('\n');
    expect(stamped).toHaveLength(2);
    const [earlyStamp] = (stamped[0] ?? '').split(' ');
    const [lateStamp] = (stamped[1] ?? '').split(' ');
    expect(earlyStamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    expect(stamped[0]).toMatch(/ early$/);

    expect((await sim.docker('logs', '--since', lateStamp ?? '', 'since')).stdout).toBe('late\n');
    const afterEarly = new Date(Date.parse(earlyStamp ?? '') + 500);
    expect((await sim.docker('logs', '--since', afterEarly.toISOString(), 'since')).stdout).toBe('late\n');
    expect((await sim.docker('logs', '--since', String(afterEarly.getTime() / 1000), 'since')).stdout).toBe('late\n');
    expect((await sim.docker('logs', '--since', '1h', 'since')).stdout).toBe('early\nlate\n');
    expect((await sim.docker('logs', '--tail', '1', 'since')).stdout).toBe('late\n');
    expect((await sim.docker('logs', '--since', 'yesterday-ish', 'since')).code).toBe(1);
  });

  it('-f streams new lines while the container runs and ends when it exits', async () => {
    await sim.runContainer('follow', ['sh', '-c', 'echo one; sleep 0.8; echo two; sleep 0.8; echo three']);
    const follower = spawn(sim.dockerBin, ['logs', '-f', 'follow']);
    const seen: { line: string; at: number }[] = [];
    follower.stdout.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) seen.push({ line, at: Date.now() });
    });
    const exitCode = await new Promise<number | null>((resolve) => follower.on('close', resolve));
    expect(exitCode).toBe(0);
    expect(seen.map((s) => s.line)).toEqual(['one', 'two', 'three']);
    expect((seen[2]?.at ?? 0) - (seen[0]?.at ?? 0)).toBeGreaterThan(1000);
    expect((await sim.docker('inspect', '-f', '{{.State.Status}}', 'follow')).stdout).toBe('exited\n');
  });

  it('-f on an exited container prints the whole log and returns at once', async () => {
    await sim.runContainer('done', ['echo', 'finished']);
    await waitForExitCode(sim, 'done');
    expect(await sim.docker('logs', '-f', 'done')).toMatchObject({ code: 0, stdout: 'finished\n' });
  });

  it('-f keeps following a container that is still running when it starts', async () => {
    await sim.runContainer('slow-start', ['sh', '-c', 'sleep 0.5; echo ready']);
    const follow = sim.docker('logs', '-f', 'slow-start');
    await eventually(async () => ((await sim.docker('logs', 'slow-start')).stdout === 'ready\n' ? true : undefined));
    expect((await follow).stdout).toBe('ready\n');
  });
});
