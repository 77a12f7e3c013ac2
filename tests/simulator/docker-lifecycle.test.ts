import { spawn } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { listSimContainers, readStartRecord } from '../../simulator/install.js';
import { createSim, eventually, waitForExitCode, type Sim } from './helpers.js';

vi.setConfig({ testTimeout: 30_000 });

let sim: Sim;
beforeEach(async () => {
  sim = await createSim();
});
afterEach(async () => {
  await sim.cleanup();
});

describe('docker run / inspect / wait', () => {
  it('starts a detached container that runs, then exits 0, as inspect shows', async () => {
    const run = await sim.runContainer('job-a', ['sh', '-c', 'echo started; sleep 0.5; echo done']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    const running = await sim.docker('inspect', '-f', '{{.State.Status}} {{.State.Running}}', 'job-a');
    expect(running.stdout).toBe('running true\n');

    expect(await waitForExitCode(sim, 'job-a')).toBe(0);
    const inspect = await sim.docker('inspect', 'job-a');
    const [container] = JSON.parse(inspect.stdout) as [Record<string, any>];
    expect(container.Id).toBe(run.stdout.trim());
    expect(container.Name).toBe('/job-a');
    expect(container.State).toMatchObject({ Status: 'exited', Running: false, ExitCode: 0, Pid: 0, OOMKilled: false });
    expect(container.Config.Labels).toEqual({ 'cosmos.run_id': 'job-a' });
    expect(container.Config.WorkingDir).toBe('/workspace');
    expect(container.Config.Env).toContain('PYTHONPATH=/workspace');
    expect(container.HostConfig.Binds).toEqual([`${sim.workspace}:/workspace`]);
    expect((await sim.docker('logs', 'job-a')).stdout).toBe('started\ndone\n');
  });

  it('runs the command in the host folder mounted at the working directory, with the given environment', async () => {
    await sim.runContainer('env-check', ['sh', '-c', 'pwd; echo "$PYTHONPATH $CUDA_VISIBLE_DEVICES"; command -v torchrun'], [
      '--gpus', '"device=0"',
    ]);
    expect(await waitForExitCode(sim, 'env-check')).toBe(0);
    const [cwd, env, torchrun] = (await sim.docker('logs', 'env-check')).stdout.trim().split('\n');
    expect(cwd).toBe(sim.workspace);
    expect(env).toBe('/workspace 0');
    expect(torchrun).toBe(`${sim.home}/bin/torchrun`);
  });

  it('keeps a container running after the process that started it is killed', async () => {
    const starter = spawn('sh', ['-c', `"${sim.dockerBin}" run -d --name orphan -v "${sim.workspace}:/workspace" -w /workspace img sh -c 'sleep 1; echo survived' && sleep 60`], {
      detached: true,
      stdio: 'ignore',
    });
    await eventually(async () => ((await sim.docker('inspect', '-f', '{{.State.Status}}', 'orphan')).stdout === 'running\n' ? true : undefined));
    process.kill(-(starter.pid ?? 0), 'SIGKILL');
    expect((await sim.docker('inspect', '-f', '{{.State.Running}}', 'orphan')).stdout).toBe('true\n');
    expect(await waitForExitCode(sim, 'orphan')).toBe(0);
    expect((await sim.docker('logs', 'orphan')).stdout).toBe('survived\n');
  });

  it('answers a second run with the same name like Docker (exit 125) and records one start', async () => {
    const first = await sim.runContainer('dup', ['sleep', '5']);
    const second = await sim.runContainer('dup', ['sleep', '5']);
    expect(second.code).toBe(125);
    expect(second.stderr).toContain(
      `docker: Error response from daemon: Conflict. The container name "/dup" is already in use by container "${first.stdout.trim()}". You have to remove (or rename) that container to be able to reuse that name.`,
    );
    expect((await readStartRecord(sim.home)).map((r) => r.name)).toEqual(['dup']);
  });

  it('starts exactly one container when two runs with the same name race', async () => {
    const results = await Promise.all([1, 2, 3].map(() => sim.runContainer('race', ['sleep', '5'])));
    expect(results.map((r) => r.code).sort()).toEqual([0, 125, 125]);
    const record = await readStartRecord(sim.home);
    expect(record).toHaveLength(1);
    expect(record[0]).toMatchObject({ name: 'race', labels: { 'cosmos.run_id': 'race' } });
    expect(record[0]?.argv).toContain('--name');
  });

  it('keeps the name of an exited container reserved until it is removed', async () => {
    await sim.runContainer('reuse', ['true']);
    expect(await waitForExitCode(sim, 'reuse')).toBe(0);
    expect((await sim.runContainer('reuse', ['true'])).code).toBe(125);
    expect(await sim.docker('rm', 'reuse')).toMatchObject({ code: 0, stdout: 'reuse\n' });
    expect((await sim.runContainer('reuse', ['true'])).code).toBe(0);
  });

  it('reports an unknown container to inspect with [] on stdout and exit 1', async () => {
    expect(await sim.docker('inspect', 'nope')).toEqual({ code: 1, stdout: '[]\n', stderr: 'Error: No such object: nope\n' });
  });

  it('reports the exit code of a failing command', async () => {
    await sim.runContainer('fails', ['sh', '-c', 'echo oops >&2; exit 3']);
    expect(await waitForExitCode(sim, 'fails')).toBe(3);
    expect(await sim.docker('inspect', '-f', '{{json .State.ExitCode}}', 'fails')).toMatchObject({ stdout: '3\n' });
    expect(await sim.docker('logs', 'fails')).toMatchObject({ stdout: '', stderr: 'oops\n' });
  });

  it('rejects unknown flags and a working directory outside the mounts', async () => {
    expect(await sim.docker('run', '-d', '--bogus', 'img')).toMatchObject({ code: 125, stderr: expect.stringContaining('unknown flag: --bogus') });
    expect(await sim.docker('run', '--name', 'x1', 'img', 'true')).toMatchObject({ code: 125, stderr: expect.stringContaining('is not inside a bind mount') });
    const outside = await sim.docker('run', '-d', '--name', 'x2', '-v', `${sim.workspace}:/workspace`, '-w', '/elsewhere', 'img', 'true');
    expect(outside.code).toBe(125);
    expect(await listSimContainers(sim.home)).toEqual([]);
  });

  it('accepts --flag=value forms and reports a missing command with exit 127', async () => {
    const run = await sim.docker('run', '-d', '--name=eq', `--volume=${sim.workspace}:/workspace`, '--workdir=/workspace', '--label=a=b', '--ipc', 'host', '--shm-size=8g', 'img', 'no-such-binary');
    expect(run.code).toBe(127);
    // moby wraps runc's error (libcontainerd/remote/client.go:233) and sets ExitCode 127 (daemon/errors.go:118, 159-176).
    expect(run.stderr).toContain('docker: Error response from daemon: failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "no-such-binary": executable file not found in $PATH: unknown');
    expect(await sim.docker('inspect', '-f', '{{.State.Status}} {{index .Config.Labels "a"}} {{.State.ExitCode}}', 'eq')).toMatchObject({ stdout: 'created b 127\n' });
  });
});

describe('docker stop / kill / rm', () => {
  it('stop sends SIGTERM to the container and the exit code is 143', async () => {
    await sim.runContainer('stoppable', ['sleep', '30']);
    expect(await sim.docker('stop', 'stoppable')).toMatchObject({ code: 0, stdout: 'stoppable\n' });
    expect(await sim.docker('inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'stoppable')).toMatchObject({ stdout: 'exited 143\n' });
  });

  it('stop escalates to SIGKILL after the grace period when SIGTERM is ignored', async () => {
    await sim.runContainer('stubborn', ['sh', '-c', 'trap "" TERM; sleep 30 & wait; sleep 30']);
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    expect((await sim.docker('stop', '-t', '1', 'stubborn')).code).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(await sim.docker('inspect', '-f', '{{.State.ExitCode}}', 'stubborn')).toMatchObject({ stdout: '137\n' });
  });

  it('kill gives exit code 137, and killing an exited container is an error', async () => {
    await sim.runContainer('killable', ['sleep', '30']);
    expect(await sim.docker('kill', 'killable')).toMatchObject({ code: 0, stdout: 'killable\n' });
    expect(await waitForExitCode(sim, 'killable')).toBe(137);
    const again = await sim.docker('kill', 'killable');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/Error response from daemon: cannot kill container: killable: container [0-9a-f]{64} is not running/);
  });

  it('kill ends every process of the container, not only the main one', async () => {
    await sim.runContainer('tree', ['sh', '-c', 'sleep 30 & sleep 30 & wait']);
    const pid = Number((await sim.docker('inspect', '-f', '{{.State.Pid}}', 'tree')).stdout);
    await sim.docker('kill', 'tree');
    const listGroup = () =>
      new Promise<string>((resolve) => {
        let out = '';
        const pgrep = spawn('pgrep', ['-g', String(pid)]);
        pgrep.stdout.on('data', (d: Buffer) => (out += d.toString()));
        pgrep.on('close', () => resolve(out));
      });
    // Killed processes may linger a moment as zombies until init reaps them.
    await eventually(async () => ((await listGroup()) === '' ? true : undefined), 3000);
  });

  it('rm refuses a running container unless forced, and frees the name', async () => {
    await sim.runContainer('busy', ['sleep', '30']);
    const refused = await sim.docker('rm', 'busy');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('container is running: stop the container before removing or force remove');
    expect(await sim.docker('rm', '-f', 'busy')).toMatchObject({ code: 0, stdout: 'busy\n' });
    expect((await sim.docker('inspect', 'busy')).code).toBe(1);
    expect(await listSimContainers(sim.home)).toEqual([]);
  });

  it('commands on an unknown container fail with Docker\'s message', async () => {
    for (const command of ['logs', 'wait', 'stop', 'kill', 'rm']) {
      const result = await sim.docker(command, 'ghost');
      expect(result.code).toBe(1);
      expect(result.stderr).toBe('Error response from daemon: No such container: ghost\n');
    }
  });
});
