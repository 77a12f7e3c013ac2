import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { probeMp4File } from '../../src/gpu/mp4.js';
import { baseSpec, createSim, transferCommand, waitForExitCode, writeJob, type Sim } from './helpers.js';

vi.setConfig({ testTimeout: 60_000 });
const run = promisify(execFile);

let sim: Sim;
beforeEach(async () => {
  sim = await createSim({ gpus: 2 });
});
afterEach(async () => {
  await sim.cleanup();
});

const TRICKY_PROMPT = 'Robot says "hi" & it\'s $(rm -rf /) `whoami` ; exit 1\nSecond line\twith tab — ünïcødé ✓ $HOME';

async function runJob(job: string, spec: Record<string, unknown>, extra: string[] = [], nproc = 1) {
  await writeJob(sim, job, spec);
  const gpus = nproc === 1 ? '"device=0"' : '"device=0,1"';
  const started = await sim.runContainer(`cosmos-transfer-${job}`, transferCommand(job, extra, nproc), ['--gpus', gpus]);
  expect(started.code).toBe(0);
  const exitCode = await waitForExitCode(sim, `cosmos-transfer-${job}`);
  const logs = await sim.docker('logs', `cosmos-transfer-${job}`);
  return { exitCode, ...logs, outputs: join(sim.workspace, 'cosmos-jobs', job, 'outputs') };
}

describe('fake cosmos-transfer1 transfer.py in single mode', () => {
  it('writes the output video at the bucket size with the input frame count, and the prompt byte-for-byte', async () => {
    const job = 'rs_ok';
    const result = await runJob(job, baseSpec(job, { prompt: TRICKY_PROMPT, vis: { control_weight: 0.25 } }));
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await probeMp4File(join(result.outputs, 'output.mp4'))).toMatchObject({ width: 1280, height: 704, frames: 121, fps: 24 });
    expect(await readFile(join(result.outputs, 'output.txt'), 'utf8')).toBe(TRICKY_PROMPT);
    expect(await probeMp4File(join(result.outputs, 'vis_input_control_0.mp4'))).toMatchObject({ width: 320, height: 180, frames: 121 });
    expect((await readdir(result.outputs)).sort()).toEqual(['output.mp4', 'output.txt', 'vis_input_control_0.mp4']);
  });

  it('logs the milestones in order in loguru format on stdout and a tqdm bar on stderr', async () => {
    const job = 'rs_log';
    const result = await runJob(job, baseSpec(job, { seg: { control_weight: 0.25 } }));
    expect(result.exitCode, result.stderr).toBe(0);
    // transfer.py demo() at cosmos-transfer1@5005e82: arguments, validation, seed, the model load (no "Loading base
    // model checkpoint" line: the default model has no base_load_from), preprocessing, then generate().
    const milestones = [
      'control_inputs: {', 'args in json: {', 'final args: {', 'No checkpoint path specified for depth. Using default.',
      'Using default checkpoint path: checkpoints/nvidia/Cosmos-Transfer1-7B/depth_control.pt', 'Using random seed 1.',
      'Start creating base model', 'Done loading the base model checkpoint.', 'Done creating base model',
      'Start creating ctrlnet model', 'Done creating ctrlnet model', 'Loading ctrl model from ckpt_path: checkpoints/nvidia/Cosmos-Transfer1-7B/depth_control.pt',
      'Start creating base model', 'Loading ctrl model from ckpt_path: checkpoints/nvidia/Cosmos-Transfer1-7B/seg_control.pt',
      'running preprocessor', "no input_control provided for seg. generating input control video with SAM using prompt='A robot arm",
      `Processing video: cosmos-jobs/${job}/inputs/color.mp4 to generate segmentation video: cosmos-jobs/${job}/outputs/seg_input_control_0.mp4`,
      'Running batch generation with batch_size=1', 'Running guardrail checks on all prompts',
      'Running text embedding on all prompts', 'Starting T5 compute', 'Completed T5 compute', 'Finish text embedding on prompt', 'Run generation',
      'Starting data augmentation', 'regional_prompts passed to _run_model: []',
      `reading control input cosmos-jobs/${job}/inputs/depth.mp4 for hint depth`,
      `reading control input cosmos-jobs/${job}/outputs/seg_input_control_0.mp4 for hint seg`,
      'Making all control and input videos to be length of 121 frames.', 'Completed data augmentation',
      'Starting latent encoding', 'Completed latent encoding', 'Starting diffusion sampling', 'Completed diffusion sampling',
      'Starting VAE decode', 'Completed VAE decode', 'Finish generation', 'Run guardrail on generated videos',
      `Saved video to cosmos-jobs/${job}/outputs/output.mp4`, `Saved prompt to cosmos-jobs/${job}/outputs/output.txt`,
    ];
    let position = 0;
    for (const milestone of milestones) {
      const found = result.stdout.indexOf(milestone, position);
      expect(found, milestone).toBeGreaterThanOrEqual(position);
      position = found;
    }
    expect(result.stdout).toMatch(/^\[\d\d-\d\d \d\d:\d\d:\d\d\|INFO\|cosmos_transfer1\/diffusion\/inference\/transfer\.py:179:parse_arguments\] control_inputs: \{$/m);
    expect(result.stdout).toContain('|INFO|cosmos_transfer1/diffusion/inference/world_generation_pipeline.py:615:_run_model] Starting diffusion sampling');
    expect(result.stdout).not.toContain('Loading base model checkpoint (local)');
    expect(result.stderr).toMatch(/^\r {2}0%\| {10}\| 0\/1 \[00:00<\?, \?it\/s\]\r100%\|██████████\| 1\/1 \[\d\d:\d\d<00:00, +\d+\.\d\d(s\/it|it\/s)\]\n$/);
  });

  it('uses the nearest aspect bucket and one chunk per 120 frames after the first', async () => {
    const job = 'rs_43';
    await writeJob(sim, job, {});
    const input = join(sim.workspace, 'cosmos-jobs', job, 'inputs', 'four-three.mp4');
    await run('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=640x480:rate=30', '-frames:v', '122', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', input]);
    const spec = baseSpec(job, { input_video_path: `cosmos-jobs/${job}/inputs/four-three.mp4`, depth: undefined, edge: { control_weight: 0.5 } });
    const result = await runJob(job, spec, ['--fps', '16']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await probeMp4File(join(result.outputs, 'output.mp4'))).toMatchObject({ width: 960, height: 704, frames: 122, fps: 16 });
    expect(result.stdout.match(/Starting diffusion sampling/g)).toHaveLength(2);
    expect(result.stderr).toContain('| 2/2 [');
  });

  it('takes the frame count from the shortest of the input and control videos', async () => {
    const job = 'rs_short';
    await writeJob(sim, job, {});
    const shortDepth = join(sim.workspace, 'cosmos-jobs', job, 'inputs', 'short-depth.mp4');
    await run('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=24', '-frames:v', '57', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', shortDepth]);
    const spec = baseSpec(job, { depth: { control_weight: 0.5, input_control: `cosmos-jobs/${job}/inputs/short-depth.mp4` } });
    const result = await runJob(job, spec);
    expect(await probeMp4File(join(result.outputs, 'output.mp4'))).toMatchObject({ frames: 57 });
  });

  it('sees inputs as the container does: relative and /workspace symlinks work, links to host-only paths do not', async () => {
    const cache = join(sim.workspace, 'cosmos-cache', 'sha256');
    await mkdir(cache, { recursive: true });
    const linkInputs = async (job: string, colorTarget: (cached: string) => string) => {
      const inputs = join(sim.workspace, await writeJob(sim, job, baseSpec(job, { input_video_path: `/workspace/cosmos-jobs/${job}/inputs/color.mp4` })));
      await rename(join(inputs, 'color.mp4'), join(cache, `${job}-color`));
      await rename(join(inputs, 'depth.mp4'), join(cache, `${job}-depth`));
      await symlink(colorTarget(join(cache, `${job}-color`)), join(inputs, 'color.mp4'));
      await symlink(`/workspace/cosmos-cache/sha256/${job}-depth`, join(inputs, 'depth.mp4'));
      await sim.runContainer(job, transferCommand(job));
      return waitForExitCode(sim, job);
    };
    expect(await linkInputs('rs_rel', () => '../../../cosmos-cache/sha256/rs_rel-color')).toBe(0);
    expect(await linkInputs('rs_abs', (hostPath) => hostPath)).toBe(1);
    expect((await sim.docker('logs', 'rs_abs')).stderr).toContain(
      "FileNotFoundError: [Errno 2] No such file or directory: '/workspace/cosmos-jobs/rs_abs/inputs/color.mp4'",
    );
  });

  it('lets a flag given as its own token win over the spec, but not a --key=value flag', async () => {
    const separate = await runJob('rs_sep', baseSpec('rs_sep', { seed: 7 }), ['--seed', '5', '--guidance', '7']);
    expect(separate.stdout).toContain('Using random seed 5.');
    // argparse's type=float makes a command-line value a Python float; the spec's int stays an int (transfer.py:183-187).
    expect(separate.stdout).toMatch(/final args: \{[^}]*"guidance": 7\.0,/);
    expect(separate.stdout).toMatch(/final args: \{[^}]*"sigma_max": 70,/);
    const joined = await runJob('rs_eq', baseSpec('rs_eq', { seed: 7 }), ['--seed=5']);
    expect(joined.stdout).toContain('Using random seed 7.');
  });

  it('runs one process per GPU: every rank writes its own control video, rank 0 saves the output', async () => {
    const job = 'rs_2gpu';
    const result = await runJob(job, baseSpec(job, { vis: { control_weight: 0.3 } }), [], 2);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('Initialized distributed training with local rank 0');
    expect(result.stdout).toContain('Initialized distributed training with local rank 1');
    expect(result.stdout.match(/Saved video to/g)).toHaveLength(1);
    expect(result.stderr).toContain('Setting OMP_NUM_THREADS environment variable for each process to be 1');
    expect((await readdir(result.outputs)).sort()).toEqual(['output.mp4', 'output.txt', 'vis_input_control_0.mp4', 'vis_input_control_1.mp4']);
  });
});

describe('fake transfer.py argument and spec errors', () => {
  it('answers an unknown flag like argparse, and torchrun reports the failed child with exit 1', async () => {
    const job = 'rs_badflag';
    const result = await runJob(job, baseSpec(job), ['--not_a_flag', 'x']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/^usage: transfer\.py \[-h\]/m);
    expect(result.stderr).toContain('transfer.py: error: unrecognized arguments: --not_a_flag x');
    expect(result.stderr).toContain('torch.distributed.elastic.multiprocessing.errors.ChildFailedError');
    expect(result.stderr).toContain('exitcode  : 2');
    expect(existsSync(join(result.outputs, 'output.mp4'))).toBe(false);
  });

  it('rejects an invalid choice and a missing value', async () => {
    const choice = await runJob('rs_choice', baseSpec('rs_choice'), ['--blur_strength', 'extreme']);
    expect(choice.stderr).toContain("error: argument --blur_strength: invalid choice: 'extreme' (choose from 'very_low', 'low', 'medium', 'high', 'very_high')");
    const missing = await runJob('rs_missing', baseSpec('rs_missing'), ['--seed']);
    expect(missing.stderr).toContain('error: argument --seed: expected one argument');
  });

  it.each([
    ['an unknown dict key', { color: { control_weight: 0.5 } }, 'ValueError: Invalid hint_key: color'],
    ['no input video with sigma_max < 80', { input_video_path: '' }, "ValueError: Must have 'input_video' specified if sigma_max < 80"],
    ['no input video and a control without input_control', { input_video_path: '', sigma_max: 80, vis: { control_weight: 0.5 } }, "ValueError: vis controlnet must have 'input_control' video specified if no 'input_video' specified."],
    ['a negative control weight', { vis: { control_weight: -0.5 } }, 'ValueError: Control weight for vis must be a valid non-negative float or a path to a .pt file.'],
    ['a non-numeric control weight', { edge: { control_weight: 'lots' } }, "ValueError: could not convert string to float: 'lots'"],
    ['a missing input video', { input_video_path: 'cosmos-jobs/nope/inputs/missing.mp4' }, "FileNotFoundError: [Errno 2] No such file or directory: 'cosmos-jobs/nope/inputs/missing.mp4'"],
  ])('fails with exit 1 and no output on %s', async (_, overrides, message) => {
    const job = `rs_spec_${Math.random().toString(16).slice(2, 8)}`;
    const result = await runJob(job, baseSpec(job, overrides));
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`[rank0]: ${message}`);
    expect(result.stderr).toContain('[rank0]: Traceback (most recent call last):');
    expect(existsSync(join(result.outputs, 'output.mp4'))).toBe(false);
  });

  it('needs a GPU: no --gpus means no driver, and more processes than GPUs an NVML error at distributed init', async () => {
    const job = 'rs_nogpu';
    await writeJob(sim, job, baseSpec(job));
    await sim.docker('run', '-d', '--name', job, '-v', `${sim.workspace}:/workspace`, '-w', '/workspace', 'img', ...transferCommand(job));
    expect(await waitForExitCode(sim, job)).toBe(1);
    expect((await sim.docker('logs', job)).stderr).toContain('[rank0]: RuntimeError: Found no NVIDIA driver on your system.');

    const job2 = 'rs_fewgpu';
    await writeJob(sim, job2, baseSpec(job2));
    await sim.runContainer(job2, transferCommand(job2, [], 2), ['--gpus', '"device=1"']);
    expect(await waitForExitCode(sim, job2)).toBe(1);
    // --num_gpus 2: distributed.init() asks NVML for the device of LOCAL_RANK (utils/distributed.py:49, device.py:44).
    expect((await sim.docker('logs', job2)).stderr).toContain('[rank1]: pynvml.NVMLError_InvalidArgument: Invalid Argument');
  });

  it('fails on a spec file that is not JSON', async () => {
    const job = 'rs_json';
    await writeJob(sim, job, {});
    await import('node:fs/promises').then((fs) => fs.writeFile(join(sim.workspace, 'cosmos-jobs', job, 'inputs', 'spec.json'), '{"prompt": '));
    await sim.runContainer(`cosmos-transfer-${job}`, transferCommand(job));
    expect(await waitForExitCode(sim, `cosmos-transfer-${job}`)).toBe(1);
    expect((await sim.docker('logs', `cosmos-transfer-${job}`)).stderr).toContain('json.decoder.JSONDecodeError: Expecting value');
  });
});
