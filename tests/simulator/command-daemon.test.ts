import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { daemonServes } from '../../simulator/daemon-serves.js';
import { stopSimContainers, stopSimDaemon } from '../../simulator/install.js';
import { isProcessRunning } from '../../simulator/process-alive.js';
import { daemonPidPath, daemonSocketPath, sparePidPath } from '../../simulator/sim-home.js';
import { waitUntil } from '../helpers/worker-process.js';
import { createSim, type CommandResult, type Sim } from './helpers.js';

const scripts = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'simulator');

/** The same call as the node script runs it, without the client and the daemon. */
function direct(sim: Sim, tool: 'docker' | 'nvidia-smi', args: string[], env: NodeJS.ProcessEnv = process.env, cwd?: string): Promise<CommandResult> {
  return new Promise((done) => {
    execFile(process.execPath, [join(scripts, `${tool}.js`), '--sim-home', sim.home, ...args], { encoding: 'utf8', env, cwd }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

function viaShim(bin: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<CommandResult> {
  return new Promise((done) => {
    execFile(bin, args, { encoding: 'utf8', env, cwd }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

const daemonPid = (sim: Sim) => Number(readFileSync(daemonPidPath(sim.home), 'utf8').trim());
const alive = isProcessRunning;

describe('the simulator\'s command daemon behind docker and nvidia-smi', () => {
  let sim: Sim | undefined;
  afterEach(async () => {
    await sim?.cleanup();
    sim = undefined;
  });

  it('is what the shims use once the thin client is built (npm run build / npm test build it with Go)', async () => {
    sim = await createSim({ gpus: 2 });
    expect(existsSync(join(scripts, 'sim-client')), 'dist/simulator/sim-client: run `node scripts/build-sim-client.mjs` (needs Go)').toBe(true);
    expect(readFileSync(sim.dockerBin, 'utf8')).toContain('sim-client');
    await sim.docker('ps');
    await waitUntil(async () => existsSync(daemonSocketPath(sim!.home)) && existsSync(daemonPidPath(sim!.home)), 'the daemon to listen', 10_000);
    expect(alive(daemonPid(sim))).toBe(true);
  });

  it('answers short commands byte for byte like the node script: output, errors and exit codes, with containers and host defects', async () => {
    sim = await createSim({ gpus: 2 });
    await sim.docker('ps');
    await waitUntil(async () => existsSync(daemonSocketPath(sim!.home)), 'the daemon to listen', 10_000);
    expect((await sim.runContainer('daemon-a', ['sleep', '30'])).code).toBe(0);
    await writeFile(join(sim.home, 'sim.json'), JSON.stringify({ ...JSON.parse(readFileSync(join(sim.home, 'sim.json'), 'utf8')), images: ['cosmos-transfer1:sim'] }));
    const calls: Array<['docker' | 'nvidia-smi', string[]]> = [
      ['docker', ['ps', '-a', '--no-trunc', '--format', '{{.Names}} {{.Status}} {{.Label "cosmos.run_id"}}']],
      ['docker', ['container', 'ls', '--filter', 'label=cosmos.run_id']],
      ['docker', ['inspect', 'daemon-a', '--format', '{{.State.Status}} {{.State.Pid}}']],
      ['docker', ['inspect', 'no-such-container']],
      ['docker', ['image', 'inspect', '--format', '{{.Id}}', 'cosmos-transfer1:sim', 'cosmos-transfer1:gone']],
      ['docker', ['version', '--format', '{{.Server.Version}}']],
      ['docker', ['frob']],
      // Fields that do not move while the container loads its model (memory.used and used_memory do).
      ['nvidia-smi', ['--query-gpu=index,uuid,name,memory.total', '--format=csv,noheader,nounits']],
      ['nvidia-smi', ['--query-compute-apps=gpu_uuid,pid,process_name', '--format=csv,noheader']],
      ['nvidia-smi', ['--query-gpu=bogus', '--format=csv']],
    ];
    for (const [tool, args] of calls) {
      const shim = tool === 'docker' ? sim.docker(...args) : sim.nvidiaSmi(...args);
      expect(await shim, `${tool} ${args.join(' ')}`).toEqual(await direct(sim, tool, args));
    }
    expect((await sim.docker('inspect', 'no-such-container')).code).toBe(1);
  });

  it('starts detached containers for the CLI like dockerd: -e NAME and --env-file resolve in the caller\'s environment and directory, errors byte for byte', async () => {
    sim = await createSim({ gpus: 2 });
    await sim.docker('ps');
    await waitUntil(async () => existsSync(daemonSocketPath(sim!.home)), 'the daemon to listen', 10_000);
    expect(daemonServes('docker', ['run', '-d', '--name', 'x', 'img'])).toBe(true);
    expect(daemonServes('docker', ['container', 'run', '--detach', 'img'])).toBe(true);
    expect(daemonServes('docker', ['run', '--name', 'x', 'img'])).toBe(false);
    await writeFile(join(sim.workspace, 'job.env'), 'FROM_FILE=yes\n');
    const env = { ...process.env, SIM_CALLER_ONLY: 'from-the-caller' };
    const run = (name: string, ...extra: string[]) => ['run', '-d', '--name', name, '-e', 'SIM_CALLER_ONLY', ...extra,
      '-v', `${sim!.workspace}:/workspace`, '-w', '/workspace', '--gpus', '"device=1"', 'cosmos-transfer1:sim', 'sleep', '30'];
    const started = await viaShim(sim.dockerBin, run('env-a', '--env-file', 'job.env'), env, sim.workspace);
    expect(started.stderr).toBe('');
    expect(started.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    expect((await sim.docker('inspect', 'env-a', '--format', '{{.State.Status}}')).stdout).toBe('running\n');
    const config = JSON.parse(readFileSync(join(sim.home, 'containers', 'env-a', 'config.json'), 'utf8')) as { env: string[]; gpuDevices: number[] };
    expect(config.env).toEqual(expect.arrayContaining(['SIM_CALLER_ONLY=from-the-caller', 'FROM_FILE=yes']));
    expect(config.gpuDevices).toEqual([1]);
    expect(await viaShim(sim.dockerBin, run('env-b', '--env-file', 'no-such.env'), env, sim.workspace)).toEqual({
      code: 125, stdout: '', stderr: "docker: open no-such.env: no such file or directory.\nSee 'docker run --help'.\n",
    });
    // (Not compared with the node script: node 20 takes an `--env-file` anywhere on its command line as its own.)
    await writeFile(join(sim.home, 'sim.json'), JSON.stringify({ ...JSON.parse(readFileSync(join(sim.home, 'sim.json'), 'utf8')), images: ['cosmos-transfer1:sim'] }));
    for (const args of [run('env-a'), [...run('env-c').slice(0, -3), 'cosmos-transfer1:gone', 'true']]) {
      const served = await viaShim(sim.dockerBin, args, env, sim.workspace);
      expect(served.code, `${args.join(' ')}: ${served.stdout}${served.stderr}`).not.toBe(0);
      expect(served, args.join(' ')).toEqual(await direct(sim, 'docker', args, env, sim.workspace));
    }
  });

  it('keeps the next container\'s supervisor started ahead: it runs that container like any other, and goes with the daemon', async () => {
    sim = await createSim({ gpus: 2 });
    await sim.docker('ps');
    await waitUntil(async () => existsSync(daemonSocketPath(sim!.home)), 'the daemon to listen', 10_000);
    expect((await sim.runContainer('spare-a', ['sleep', '30'])).code).toBe(0);
    const sparePid = () => (existsSync(sparePidPath(sim!.home)) ? Number(readFileSync(sparePidPath(sim!.home), 'utf8').trim()) : 0);
    await waitUntil(async () => alive(sparePid()), 'a spare supervisor', 10_000);
    const spare = sparePid();
    const b = await sim.runContainer('spare-b', ['sh', '-c', 'echo "on $CUDA_VISIBLE_DEVICES"; exit 3'], ['--gpus', '"device=1"']);
    expect(b.code).toBe(0);
    await waitUntil(async () => (await sim!.docker('inspect', 'spare-b', '--format', '{{.State.Status}}')).stdout === 'exited\n', 'spare-b to exit', 10_000);
    expect((await sim.docker('inspect', 'spare-b', '--format', '{{.State.ExitCode}}')).stdout).toBe('3\n');
    expect((await sim.docker('logs', 'spare-b')).stdout).toBe('on 1\n');
    const state = JSON.parse(readFileSync(join(sim.home, 'containers', 'spare-b', 'state.json'), 'utf8')) as { supervisorPid: number };
    expect(state.supervisorPid).toBe(spare);
    await waitUntil(async () => sparePid() !== spare && alive(sparePid()), 'the next spare', 10_000);
    const next = sparePid();
    await stopSimDaemon(sim.home);
    expect(alive(next)).toBe(false);
    expect((await sim.docker('inspect', 'spare-a', '--format', '{{.State.Status}}')).stdout).toBe('running\n');
  });

  it('inside a simulated container nvidia-smi shows that container\'s devices (not served by the host\'s daemon)', async () => {
    sim = await createSim({ gpus: 4 });
    await sim.nvidiaSmi('-L');
    const env = { ...process.env, COSMOS_SIM_CONTAINER: 'some-job', CUDA_VISIBLE_DEVICES: '2' };
    const inside = await viaShim(sim.nvidiaSmiBin, ['-L'], env);
    expect(inside.stdout.trim().split('\n')).toHaveLength(1);
    expect(inside).toEqual(await direct(sim, 'nvidia-smi', ['-L'], env));
    expect((await sim.nvidiaSmi('-L')).stdout.trim().split('\n')).toHaveLength(4);
  });

  it('a killed daemon is replaced: the call that finds it gone still answers, and a new one takes over its socket', async () => {
    sim = await createSim({ gpus: 1 });
    await sim.docker('ps');
    await waitUntil(async () => existsSync(daemonPidPath(sim!.home)), 'the daemon to start', 10_000);
    const first = daemonPid(sim);
    process.kill(first, 'SIGKILL');
    await waitUntil(async () => !alive(first), 'the daemon to die', 5_000);
    expect(existsSync(daemonSocketPath(sim.home))).toBe(true);
    const answer = await sim.docker('ps', '--format', '{{.Names}}');
    expect(answer).toEqual({ code: 0, stdout: '', stderr: '' });
    await waitUntil(async () => existsSync(daemonPidPath(sim!.home)) && daemonPid(sim!) !== first && alive(daemonPid(sim!)), 'a new daemon', 10_000);
    expect((await sim.docker('version', '--format', '{{.Client.Version}}')).stdout).toBe('27.3.1\n');
  });

  it('goes when the simulated host is stopped, with its containers', async () => {
    sim = await createSim({ gpus: 1 });
    await sim.docker('ps');
    await waitUntil(async () => existsSync(daemonPidPath(sim!.home)), 'the daemon to start', 10_000);
    const pid = daemonPid(sim);
    await stopSimContainers(sim.home);
    expect(alive(pid)).toBe(false);
  });
});
