import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse as parseToml } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { runCosmos, type CosmosResult } from '../helpers/run-cosmos.js';

const exec = promisify(execFile);

interface Installed { home: string; bin: string; pathLine: string; dockerBin: string; nvidiaSmiBin: string; remoteDir: string; settings: { gpus: number; timeScale: number }; hostToml: string }

describe('cosmos sim install and fault (built executable)', () => {
  let dir: string;
  // No configuration at all: neither command needs a database, Temporal or a cosmos.toml.
  const cosmos = (...args: string[]): Promise<CosmosResult> => runCosmos(join(dir, 'absent.toml'), args, { env: { COSMOS_CONFIG: '' }, cwd: dir });
  const faultsOf = async (home: string) => JSON.parse(await readFile(join(home, 'faults.json'), 'utf8')) as unknown[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cosmos-sim-cli-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('installs the simulator and prints a PATH line through which its docker and nvidia-smi answer', async () => {
    const home = join(dir, 'sim a');
    const result = await cosmos('sim', 'install', home, '--gpus', '2', '--time-scale', '0.05');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const pathLine = result.stdout.split('\n').map((line) => line.trim()).find((line) => line.startsWith('export PATH='));
    expect(pathLine).toBe(`export PATH='${home}/bin':"$PATH"`);
    expect(JSON.parse(await readFile(join(home, 'sim.json'), 'utf8'))).toMatchObject({ gpus: 2, timeScale: 0.05 });

    // What a user does with the line: a shell with it, then plain `docker` and `nvidia-smi`.
    const shell = (command: string) => exec('sh', ['-c', `${pathLine}; ${command}`], { env: { PATH: '/usr/bin:/bin' } });
    const ps = await shell('docker ps -a');
    expect(ps.stdout.split('\n')[0]).toMatch(/^CONTAINER ID +IMAGE +COMMAND/);
    expect((await shell('command -v docker')).stdout.trim()).toBe(join(home, 'bin', 'docker'));
    const gpus = await shell('nvidia-smi -L');
    expect(gpus.stdout.trim().split('\n')).toEqual([expect.stringMatching(/^GPU 0: NVIDIA H100/), expect.stringMatching(/^GPU 1: NVIDIA H100/)]);
  });

  it('prints a [[hosts]] entry that is valid TOML pointing at the simulator, and the same as JSON', async () => {
    const home = join(dir, 'sim-b');
    const json = JSON.parse((await cosmos('sim', 'install', home, '--json')).stdout) as Installed;
    expect(json).toMatchObject({ home, bin: join(home, 'bin'), dockerBin: join(home, 'bin', 'docker'), nvidiaSmiBin: join(home, 'bin', 'nvidia-smi'), settings: { gpus: 1, timeScale: 0.01 } });
    const { hosts } = parseToml(json.hostToml) as { hosts: Record<string, unknown>[] };
    expect(hosts).toEqual([expect.objectContaining({
      name: 'sim', transport: 'ssh', host: '127.0.0.1', remote_dir: join(home, 'remote'), docker: json.dockerBin, nvidia_smi: json.nvidiaSmiBin, gpus: [0],
    })]);
    // The entry as printed is a valid host of a cosmos.toml.
    await writeFile(join(dir, 'rehearsal.toml'), `data_dir = ${JSON.stringify(join(dir, 'data'))}\n\n${json.hostToml}\n`);
    const config = loadConfig({ COSMOS_CONFIG: join(dir, 'rehearsal.toml') }, dir);
    expect(config.hosts).toEqual([expect.objectContaining({ name: 'sim', docker: json.dockerBin, remote_dir: join(home, 'remote'), gpus: [0] })]);
    const text = await cosmos('sim', 'install', home);
    for (const line of json.hostToml.split('\n')) expect(text.stdout).toContain(`  ${line}\n`);
  });

  it('plants fault rules in faults.json, appending, and --clear empties it', async () => {
    const home = join(dir, 'sim-c');
    await cosmos('sim', 'install', home);
    const first = await cosmos('sim', 'fault', 'oom', '--prompt-contains', 'storm', '--home', home);
    expect(first).toMatchObject({ code: 0, stdout: expect.stringContaining('oom when prompt contains "storm"') });
    expect(await faultsOf(home)).toEqual([{ mode: 'oom', promptContains: 'storm' }]);
    const second = await cosmos('sim', 'fault', 'hang', '--container-contains', 'transfer', '--home', home, '--json');
    expect(JSON.parse(second.stdout)).toEqual({ home, faults: [{ mode: 'oom', promptContains: 'storm' }, { mode: 'hang', containerNameContains: 'transfer' }] });
    expect(await faultsOf(home)).toHaveLength(2);

    expect(await cosmos('sim', 'fault', '--clear', '--home', home)).toMatchObject({ code: 0, stdout: expect.stringContaining('no fault rules') });
    expect(await faultsOf(home)).toEqual([]);
  });

  it('refuses an unknown mode, a folder without a simulator and wrong usage, changing nothing', async () => {
    const home = join(dir, 'sim-d');
    await cosmos('sim', 'install', home);
    expect(await cosmos('sim', 'fault', 'meltdown', '--home', home)).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown fault mode "meltdown" (known: guardrail, ') });
    expect(await cosmos('sim', 'fault', 'oom', '--clear', '--home', home)).toMatchObject({ code: 2 });
    await expect(readFile(join(home, 'faults.json'))).rejects.toThrow(/ENOENT/);
    expect(await cosmos('sim', 'fault', 'oom', '--home', join(dir, 'nothing'))).toMatchObject({ code: 1, stderr: expect.stringContaining('no simulator is installed in') });
    expect(await cosmos('sim', 'install')).toMatchObject({ code: 2 });
    expect(await cosmos('sim', 'install', home, '--gpus', '0')).toMatchObject({ code: 2 });
    expect(await cosmos('sim', 'install', home, '--time-scale', '0')).toMatchObject({ code: 2 });
    expect(await cosmos('sim', 'launch')).toMatchObject({ code: 2 });
  });
});
