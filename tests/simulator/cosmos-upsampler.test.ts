import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TORCHRUN_KEYS } from '../../simulator/upsampler.js';
import { baseSpec, createSim, transferCommand, waitForExitCode, writeJob, type Sim } from './helpers.js';

vi.setConfig({ testTimeout: 60_000 });

/*
 * The prompt upsampler of cosmos-transfer1@5005e82 and the torchrun around it: upsampler_pipeline.py:35-72,
 * auxiliary/upsampler/model/upsampler.py, world_generation_pipeline.py:215-318; torchrun's worker environment
 * (torch/distributed/elastic/agent/server/local_elastic_agent.py `_start_workers`, run.py).
 */
let sim: Sim;
beforeEach(async () => {
  sim = await createSim({ gpus: 2 });
});
afterEach(async () => {
  await sim.cleanup();
});

const SCRIPT = 'cosmos_transfer1/auxiliary/upsampler/inference/upsampler_pipeline.py';

async function runToEnd(name: string, command: string[], extra: string[] = []) {
  expect((await sim.runContainer(name, command, extra)).code).toBe(0);
  const exitCode = await waitForExitCode(sim, name);
  return { exitCode, ...(await sim.docker('logs', name)) };
}

describe('upsampler_pipeline.py under torchrun', () => {
  it('one process without OMP_NUM_THREADS dies on `del os.environ[dist_key]` (lines 68-69): KeyError, torchrun exit 1', async () => {
    const inputs = await writeJob(sim, 'up_omp', {});
    const result = await runToEnd('up_omp', ['torchrun', '--nproc_per_node=1', SCRIPT, '--prompt', 'a cup', '--input_video', `${inputs}/color.mp4`]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain([
      '[rank0]: Traceback (most recent call last):',
      `[rank0]:   File "/workspace/${SCRIPT}", line 69, in <module>`,
      '[rank0]:     del os.environ[dist_key]',
      '[rank0]:         ~~~~~~~~~~^^^^^^^^^^',
      '[rank0]:   File "<frozen os>", line 701, in __delitem__',
      "[rank0]: KeyError: 'OMP_NUM_THREADS'",
    ].join('\n'));
    expect(result.stderr).toMatch(/^ {2}exitcode {2}: 1 \(pid: \d+\)$/m);
    expect(result.stdout).not.toContain('Upsampled prompt');
  });

  it('torchrun gives the worker all the other 14 variables; with OMP_NUM_THREADS from outside it answers', async () => {
    const inputs = await writeJob(sim, 'up_env', {});
    const command = ['torchrun', '--nproc_per_node=1', SCRIPT, '--prompt', 'a cup', '--input_video', `${inputs}/color.mp4`];
    const result = await runToEnd('up_env', command, ['-e', 'OMP_NUM_THREADS=1', '-e', 'PYTHONUNBUFFERED=1']);
    expect(result.exitCode, result.stderr).toBe(0);
    // upsampler_pipeline.py:42 a plain print, not a loguru record, of every line of the answer.
    expect(result.stdout).toMatch(/^Upsampled prompt: a cup\.\n\nThe scene is captured[^\n]*\n[^\n]+\n$/m);
    expect(result.stdout).not.toMatch(/\|INFO\|.*Upsampled prompt/);
  });

  it('with more than one process torchrun sets OMP_NUM_THREADS=1 itself; only rank 0 runs main() (line 71)', async () => {
    const inputs = await writeJob(sim, 'up_two', {});
    const result = await runToEnd('up_two', ['torchrun', '--nproc_per_node=2', SCRIPT, '--prompt', 'a cup', '--input_video', `${inputs}/color.mp4`], ['--gpus', '"device=0,1"']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout.match(/^Upsampled prompt: /gm)).toHaveLength(1);
  });

  it('plain python has no RANK: KeyError at line 48; with the variables given by hand the list is checked in order', async () => {
    const inputs = await writeJob(sim, 'up_py', {});
    const command = ['python', SCRIPT, '--prompt', 'a cup', '--input_video', `${inputs}/color.mp4`];
    const plain = await runToEnd('up_py', command);
    expect(plain.exitCode).toBe(1);
    expect(plain.stderr).toContain('    rank = int(os.environ["RANK"])\n               ~~~~~~~~~~^^^^^^^^\n  File "<frozen os>", line 685, in __getitem__\nKeyError: \'RANK\'\n');
    // Every variable but the last: the KeyError names the last one (TORCHELASTIC_ERROR_FILE, line 65).
    const env = TORCHRUN_KEYS.slice(0, -1).flatMap((key) => ['-e', `${key}=${key === 'RANK' || key.endsWith('_RANK') ? '0' : '1'}`]);
    const almost = await runToEnd('up_py_env', command, env);
    expect(almost.stderr).toContain("KeyError: 'TORCHELASTIC_ERROR_FILE'");
    const all = await runToEnd('up_py_all', command, [...env, '-e', 'TORCHELASTIC_ERROR_FILE=/tmp/e.json']);
    expect(all.exitCode, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/^Upsampled prompt: a cup\./m);
  });

  it('an empty prompt asks to describe the images (upsampler.py:95); a missing video raises nothing (cv2 reads no frames)', async () => {
    await writeJob(sim, 'up_empty', {});
    const result = await runToEnd('up_empty', ['torchrun', '--nproc_per_node=1', SCRIPT, '--prompt', '', '--input_video', 'no/such.mp4'], ['-e', 'OMP_NUM_THREADS=1']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Upsampled prompt: describe the following images\.\n/m);
  });
});

describe('upsampler_pipeline.py faults', () => {
  it('oom is vLLM refusing to start without 98 % of the GPU free (upsampler.py:54), with --offload_prompt_upsampler at the first call (:78)', async () => {
    const inputs = await writeJob(sim, 'up_oom', {});
    const { setFaults } = await import('../../simulator/install.js');
    await setFaults(sim.home, [{ promptContains: 'greedy', mode: 'oom' }]);
    const result = await runToEnd('up_oom', ['torchrun', '--nproc_per_node=1', SCRIPT, '--prompt', 'greedy', '--input_video', `${inputs}/color.mp4`, '--offload_prompt_upsampler'], ['-e', 'OMP_NUM_THREADS=1']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('_prompt_upsample_with_offload\n[rank0]:     self._load_upsampler_model()');
    expect(result.stderr).toMatch(/^\[rank0\]: ValueError: Free memory on device \([\d.]+\/[\d.]+ GiB\) on startup is less than desired GPU memory utilization \(0\.98, [\d.]+ GiB\)\./m);
  });
});

describe('transfer.py --upsample_prompt', () => {
  it('on rank 0 only, from a 10-frame control clip in <save_folder>/video_0, keeping the model\'s newlines in the saved prompt', async () => {
    const job = 'up_inline';
    await writeJob(sim, job, baseSpec(job, { prompt: 'A short prompt', depth: undefined, edge: { control_weight: 0.4 } }));
    const result = await runToEnd(job, transferCommand(job, ['--upsample_prompt', '--offload_prompt_upsampler'], 2), ['--gpus', '"device=0,1"']);
    expect(result.exitCode, result.stderr).toBe(0);
    const outputs = join(sim.workspace, 'cosmos-jobs', job, 'outputs');
    for (const line of [
      'Initializing prompt upsampler...', 'Prompt upsampler initialized with hint key: vis and hint details: edge',
      'Upsampling prompt 1/1: A short prompt...', 'Upsampling prompt with controlnet: vis',
      'Generating control input for control_input_edge with blur strength medium and canny threshold medium',
      `Saving control input to cosmos-jobs/${job}/outputs/video_0/control_input_edge_upsampler.mp4`,
    ]) expect(result.stdout).toContain(line);
    expect(result.stdout.match(/Upsampling prompt 1\/1/g)).toHaveLength(1);
    expect(existsSync(join(outputs, 'video_0', 'control_input_edge_upsampler.mp4'))).toBe(true);
    expect(await readFile(join(outputs, 'output.txt'), 'utf8')).toMatch(/^A short prompt\.\n\nThe scene is captured .*\n.+$/);
  });

  it('with only seg/depth and no input_control the upsampler is given None: TypeError (upsampler.py:104)', async () => {
    const job = 'up_seg';
    await writeJob(sim, job, baseSpec(job, { depth: undefined, seg: { control_weight: 0.5 } }));
    const result = await runToEnd(job, transferCommand(job, ['--upsample_prompt']));
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('Upsampling prompt with controlnet: seg');
    expect(result.stderr).toContain("[rank0]: TypeError: 'NoneType' object is not iterable");
  });
});

describe('torchrun', () => {
  it('stops the other ranks when one fails and names the first failure (multiprocessing/api.py, errors/__init__.py)', async () => {
    const job = 'tr_oom';
    await writeJob(sim, job, baseSpec(job, { prompt: 'oom please' }));
    const { setFaults } = await import('../../simulator/install.js');
    await setFaults(sim.home, [{ promptContains: 'oom please', mode: 'oom' }]);
    const result = await runToEnd(job, transferCommand(job, [], 2), ['--gpus', '"device=0,1"']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/^W\d{4} [\d:.]+ \d+ torch\/distributed\/elastic\/multiprocessing\/api\.py:\d+\] Sending process \d+ closing signal SIGTERM$/m);
    expect(result.stderr).toMatch(/failed \(exitcode: 1\) local_rank: 0 \(pid: \d+\) of binary: /);
    expect(result.stderr).toContain('  rank      : 0 (local_rank: 0)');
  });
});
