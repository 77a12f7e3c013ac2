import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { listSimContainers } from '../../simulator/install.js';
import { plantHostDefects } from '../../simulator/host-defects.js';
import { createSim, type Sim } from './helpers.js';

vi.setConfig({ testTimeout: 30_000 });

/**
 * The host-level behaviour `cosmos doctor` reads and the defects it must recognise, each as the real Docker CLI and
 * daemon (v27.3.1) or nvidia-smi print them. One simulator; every test plants what it needs and the next one resets.
 */
describe('simulated host defects (docker images and runtime, nvidia-smi processes)', () => {
  let sim: Sim;
  const run = (...args: string[]) => sim.docker('run', ...args);
  const mounted = () => ['-v', `${sim.workspace}:/workspace`, '-w', '/workspace'];
  beforeAll(async () => {
    sim = await createSim({ gpus: 2 });
  });
  afterAll(() => sim?.cleanup());
  beforeEach(async () => {
    await plantHostDefects(sim.home, { images: undefined, nvidiaContainerToolkit: undefined, gpuProcesses: undefined });
    for (const c of await listSimContainers(sim.home)) await sim.docker('rm', '-f', c.name);
  });

  it('docker version and info answer --format templates; info lists the nvidia runtime unless the toolkit is missing', async () => {
    expect(await sim.docker('version', '--format', '{{.Server.Version}}')).toMatchObject({ code: 0, stdout: '27.3.1\n' });
    expect((await sim.docker('info', '--format', '{{json .Runtimes}}')).stdout).toContain('"nvidia"');
    await plantHostDefects(sim.home, { nvidiaContainerToolkit: false });
    expect((await sim.docker('info')).stdout).toContain('Runtimes: io.containerd.runc.v2 runc\n');
  });

  it('image inspect: a held image by --format, a missing one as the daemon says it, exit 1 (docker/cli inspector.go)', async () => {
    await plantHostDefects(sim.home, { images: ['cosmos-transfer1:test', 'docker.io/library/ubuntu:22.04'] });
    expect(await sim.docker('image', 'inspect', '--format', '{{.RepoTags}} {{.Config.WorkingDir}}', 'ubuntu:22.04'))
      .toMatchObject({ code: 0, stdout: '[ubuntu:22.04] /workspace\n' });
    expect(await sim.docker('image', 'inspect', 'cosmos-transfer1')).toMatchObject({ code: 1, stdout: '[]\n', stderr: 'Error response from daemon: No such image: cosmos-transfer1:latest\n' });
    const both = await sim.docker('image', 'inspect', '--format', '{{.Id}}', 'cosmos-transfer1:test', 'nope:1');
    expect(both.code).toBe(1);
    expect(both.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect(both.stderr).toBe('Error response from daemon: No such image: nope:1\n');
  });

  it('docker run of a missing image: --pull never is the daemon\'s No such image, the default pull fails at Docker Hub; exit 125, no container', async () => {
    await plantHostDefects(sim.home, { images: ['other:1'] });
    expect(await run('--rm', '--pull=never', ...mounted(), 'cosmos-transfer1:test', 'true')).toEqual({
      code: 125, stdout: '', stderr: "docker: Error response from daemon: No such image: cosmos-transfer1:test.\nSee 'docker run --help'.\n",
    });
    const pulled = await run('-d', ...mounted(), 'cosmos-transfer1:test', 'true');
    expect(pulled.code).toBe(125);
    expect(pulled.stderr).toBe("Unable to find image 'cosmos-transfer1:test' locally\n"
      + "docker: Error response from daemon: pull access denied for cosmos-transfer1, repository does not exist or may require 'docker login': denied: requested access to the resource is denied.\nSee 'docker run --help'.\n");
    expect(await listSimContainers(sim.home)).toEqual([]);
  });

  it('without the NVIDIA Container Toolkit --gpus fails at start: left created with State.Error and exit code 128 (removed with --rm); --runtime=nvidia is refused at create', async () => {
    await plantHostDefects(sim.home, { nvidiaContainerToolkit: false });
    const message = 'docker: Error response from daemon: could not select device driver "" with capabilities: [[gpu]].\n';
    expect(await run('--rm', '--gpus', '"device=0"', ...mounted(), 'img', 'nvidia-smi', '-L')).toMatchObject({ code: 125, stderr: message });
    expect(await listSimContainers(sim.home)).toEqual([]);
    expect(await run('-d', '--name', 'stuck', '--gpus', '"device=0"', ...mounted(), 'img', 'true')).toMatchObject({ code: 125, stderr: message });
    const state = JSON.parse((await sim.docker('inspect', '--format', '{{json .State}}', 'stuck')).stdout) as Record<string, unknown>;
    expect(state).toMatchObject({ Status: 'created', ExitCode: 128, Error: 'could not select device driver "" with capabilities: [[gpu]]' });
    expect(await run('--rm', '--runtime=nvidia', ...mounted(), 'img', 'true')).toMatchObject({
      code: 125, stderr: "docker: Error response from daemon: unknown or invalid runtime name: nvidia.\nSee 'docker run --help'.\n",
    });
    // Without a GPU request the toolkit does not matter.
    expect(await run('--rm', ...mounted(), 'img', 'true')).toMatchObject({ code: 0 });
  });

  it('a GPU index the host lacks fails in the NVIDIA hook at start, leaving the container created with that error', async () => {
    const failed = await run('-d', '--name', 'no-gpu-5', '--gpus', '"device=5"', ...mounted(), 'img', 'true');
    expect(failed.code).toBe(125);
    expect(failed.stderr).toMatch(/^docker: Error response from daemon: failed to create task for container: .*\nnvidia-container-cli: device error: 5: unknown device: unknown\.\n$/s);
    const [container] = await listSimContainers(sim.home);
    expect(container).toMatchObject({ name: 'no-gpu-5', status: 'created', exitCode: 128 });
  });

  it('an attached run forwards both streams and exits with the container; --rm leaves nothing behind', async () => {
    const result = await run('--rm', ...mounted(), 'img', 'sh', '-c', 'echo out; echo err >&2; exit 3');
    expect(result).toEqual({ code: 3, stdout: 'out\n', stderr: 'err\n' });
    expect(await listSimContainers(sim.home)).toEqual([]);
    const kept = await run('--name', 'kept', ...mounted(), 'img', 'sh', '-c', 'echo kept');
    expect(kept).toEqual({ code: 0, stdout: 'kept\n', stderr: '' });
    expect(await listSimContainers(sim.home)).toEqual([expect.objectContaining({ name: 'kept', status: 'exited', exitCode: 0 })]);
    // A command that cannot start: exit 127 as the CLI maps "executable file not found" (run.go runStartContainerErr).
    expect(await run('--rm', ...mounted(), 'img', 'no-such-command')).toMatchObject({ code: 127, stderr: expect.stringContaining('executable file not found') });
  });

  it('nvidia-smi in a container lists only the --gpus devices, numbered from 0 with the host\'s UUIDs', async () => {
    const host = (await sim.nvidiaSmi('-L')).stdout.trim().split('\n');
    const inside = await run('--rm', '--gpus', '"device=1"', ...mounted(), 'img', 'nvidia-smi', '-L');
    expect(inside).toMatchObject({ code: 0, stdout: `${host[1]!.replace(/^GPU 1:/, 'GPU 0:')}\n` });
  });

  it('--query-compute-apps lists our running containers and planted foreign processes, whose memory counts as used', async () => {
    const header = 'gpu_uuid, pid, used_gpu_memory [MiB]\n';
    expect(await sim.nvidiaSmi('--query-compute-apps=gpu_uuid,pid,used_memory', '--format=csv')).toMatchObject({ code: 0, stdout: header });
    const uuids = (await sim.nvidiaSmi('--query-gpu=uuid', '--format=csv,noheader')).stdout.trim().split('\n');
    await plantHostDefects(sim.home, { gpuProcesses: [{ gpu: 0, pid: 4242, usedMemoryMiB: 30_000, name: '/opt/conda/bin/python' }] });
    await sim.runContainer('ours', ['sleep', '30'], ['--gpus', '"device=1"']);
    const pid = (await listSimContainers(sim.home))[0]!.pid;
    const apps = (await sim.nvidiaSmi('--query-compute-apps=gpu_uuid,pid,process_name,used_memory', '--format=csv,noheader,nounits')).stdout.trim().split('\n');
    expect(apps[0]).toBe(`${uuids[0]}, 4242, /opt/conda/bin/python, 30000`);
    expect(apps[1]).toMatch(new RegExp(`^${uuids[1]}, ${pid}, /usr/bin/python, \\d+$`));
    const used = (await sim.nvidiaSmi('--query-gpu=memory.used', '--format=csv,noheader,nounits')).stdout.trim().split('\n');
    expect(Number(used[0])).toBe(30_001);
    expect(await sim.nvidiaSmi('--query-compute-apps=pid,bogus', '--format=csv')).toMatchObject({ code: 2, stdout: 'Field "bogus" is not a valid field to query.\n\n' });
  });
});
