import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { probeMp4File } from '../../src/gpu/mp4.js';
import { setFaults } from '../../simulator/install.js';
import { createSim, eventually, waitForExitCode, type Sim } from './helpers.js';

vi.setConfig({ testTimeout: 60_000 });
const SAMPLES = join(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'), 'samples', 'demo');

let sim: Sim;
let remote: string;
beforeEach(async () => {
  sim = await createSim({ gpus: 2, timeScale: 0.002, modelLoadSeconds: 180, secondsPerChunk: 400 });
  remote = join(dirname(sim.workspace), 'remote');
  await mkdir(remote);
});
afterEach(async () => {
  await sim.cleanup();
});

interface SampleSpec {
  name: string;
  prompt: string;
  [key: string]: unknown;
}

/** Lays out a job like the orchestrator: inputs and one spec per sample under <remote>/cosmos-jobs/<key>/inputs. */
async function layout(job: string, samples: SampleSpec[], ext = 'json'): Promise<{ specs: string[]; outputs: string }> {
  const inputs = join(remote, 'cosmos-jobs', job, 'inputs');
  await mkdir(inputs, { recursive: true });
  await copyFile(join(SAMPLES, 'color.mp4'), join(inputs, 'color.mp4'));
  await copyFile(join(SAMPLES, 'depth.mp4'), join(inputs, 'depth.mp4'));
  const full = samples.map((s) => ({ video_path: join(inputs, 'color.mp4'), depth: { control_path: join(inputs, 'depth.mp4'), control_weight: 0.8 }, ...s }));
  if (ext === 'jsonl') {
    await writeFile(join(inputs, 'batch.jsonl'), `${full.map((s) => JSON.stringify(s)).join('\n')}\n`);
    return { specs: [join(inputs, 'batch.jsonl')], outputs: join(remote, 'cosmos-jobs', job, 'outputs') };
  }
  for (const spec of full) await writeFile(join(inputs, `${spec.name}.json`), JSON.stringify(spec));
  return { specs: full.map((s) => join(inputs, `${s.name}.json`)), outputs: join(remote, 'cosmos-jobs', job, 'outputs') };
}

function torchrun(nproc: number, specs: string[], outputs: string, extra: string[] = []): string[] {
  return ['torchrun', `--nproc_per_node=${nproc}`, '--nnodes=1', '--node_rank=0', 'examples/inference.py', '-i', ...specs, '-o', outputs, ...extra];
}

/** The orchestrator's docker run: the checkout at /workspace, an anonymous /workspace/.venv, remote_dir at itself. */
async function runJob(name: string, command: string[], options: { gpus?: string; env?: string[] } = {}) {
  const extra = ['-v', '/workspace/.venv', '-v', `${remote}:${remote}`, '--gpus', options.gpus ?? '"device=0"', ...(options.env ?? []).flatMap((e) => ['-e', e])];
  const started = await sim.runContainer(name, command, extra);
  expect(started.code, started.stderr).toBe(0);
  const exitCode = await waitForExitCode(sim, name);
  return { exitCode, ...(await sim.docker('logs', name)) };
}

const PROMPT = 'A robot arm hands a cup of coffee to a person in a bright office.';
const BAR = /Generating samples: 100%\|██████████\| 35\/35 \[\d\d:\d\d<00:00, +\d+\.\d\d(s\/it|it\/s)\]/g;

function expectInOrder(text: string, lines: string[]): void {
  let position = 0;
  for (const line of lines) {
    const found = text.indexOf(line, position);
    expect(found, line).toBeGreaterThanOrEqual(position);
    position = found + line.length;
  }
}

/** The text inside tyro's rich error panel, with its wrapping undone. */
function panelText(stderr: string): string {
  return stderr.split('\n').filter((l) => l.startsWith('│')).map((l) => l.slice(2, -2).trim()).join(' ');
}

describe('fake Cosmos-Transfer2.5 examples/inference.py', () => {
  it('runs one sample: flat outputs named after the sample, input size and fps, milestones on stdout, a tqdm bar per chunk', async () => {
    const { specs, outputs } = await layout('k1', [{ name: 'rs_0123', prompt: PROMPT }]);
    const log = join(remote, 'cosmos-jobs', 'k1', 'run.log');
    const line = `${torchrun(1, specs, outputs).join(' ')} 2>&1 | tee ${log}; exit \${PIPESTATUS[0]}`;
    const teed = await runJob('cosmos-transfer2.5-k1-tee', ['bash', '-c', line]);
    expect(teed.exitCode, teed.stdout).toBe(0);
    expect(await readFile(log, 'utf8')).toContain('Generated video saved to');

    const result = await runJob('cosmos-transfer2.5-k1', torchrun(1, specs, outputs));
    expect(result.exitCode, result.stderr).toBe(0);
    expect((await readdir(outputs)).sort()).toEqual(['config.yaml', 'console.log', 'debug.log', 'rs_0123.json', 'rs_0123.mp4', 'rs_0123.txt', 'rs_0123_control_depth.mp4']);
    expect(await probeMp4File(join(outputs, 'rs_0123.mp4'))).toMatchObject({ width: 320, height: 180, frames: 121, fps: 24 });
    expect(await probeMp4File(join(outputs, 'rs_0123_control_depth.mp4'))).toMatchObject({ width: 320, height: 180, frames: 121 });
    expect(await readFile(join(outputs, 'rs_0123.txt'), 'utf8')).toBe(PROMPT);
    const saved = await readFile(join(outputs, 'rs_0123.json'), 'utf8');
    expect(saved.startsWith(`{"name":"rs_0123","prompt_path":null,"prompt":"${PROMPT}","negative_prompt":"The video captures a game playing`)).toBe(true);
    expect(JSON.parse(saved)).toMatchObject({ seed: 2025, guidance: 3, num_steps: 35, resolution: '720', sigma_max: null, video_path: join(remote, 'cosmos-jobs/k1/inputs/color.mp4') });
    expect(saved).toContain(`"depth":{"control_path":"${join(remote, 'cosmos-jobs/k1/inputs/depth.mp4')}","control_weight":0.8,"mask_path":null,"mask_prompt":null},"vis":null`);
    const out = `${outputs}/rs_0123`;
    expectInOrder(result.stdout, [
      `Log saved to ${outputs}/console.log`, 'Downloading checkpoint nvidia/Cosmos-Transfer2.5-2B/general/depth(626e6618-bfcd-4d9a-a077-1409e2ce353f)',
      "uvx 'hf>=1.3.5' download nvidia/Cosmos-Transfer2.5-2B --repo-type model --revision dea7737ca29dd8d9086413c6dc5724b8250a0bb4 general/depth/",
      'Found 1 hint keys across all samples', `Saved config to ${outputs}/config.yaml`, "Generating 1 samples: ['rs_0123']",
      '[1/1] Processing sample rs_0123', `Saved arguments to ${out}.json`, 'Running guardrail check on prompt...', 'Passed guardrail on prompt',
      'Passed guardrail on negative prompt', `Processing the following paths: {'depth': '${join(remote, 'cosmos-jobs/k1/inputs/depth.mp4')}', 'depth_mask': None, 'depth_mask_prompt': None}`,
      `depth control video saved to ${out}_control_depth.mp4`, 'Running guardrail check on video...', 'Passed guardrail on generated video',
      `Generated video saved to ${out}.mp4`,
    ]);
    expect(result.stdout).toMatch(/^\[\d\d-\d\d \d\d:\d\d:\d\d\|SUCCESS\|cosmos_transfer2\/inference\.py:343:_generate_sample\] Generated video saved to /m);
    expect(result.stdout).not.toContain('Generating chunk');
    const debug = await readFile(join(outputs, 'debug.log'), 'utf8');
    expectInOrder(debug, ['Loading input video...', 'Generating chunk 1/2', 'Seed: 584845', 'Generating chunk 2/2', 'Seed: 643774', 'Average time per chunk: ']);
    expect(await readFile(join(outputs, 'console.log'), 'utf8')).not.toContain('Log saved to');
    expect(result.stderr.match(BAR)).toHaveLength(2);
    expect(result.stderr).toMatch(/^\rGenerating samples: {3}0%\| {10}\| 0\/35 \[00:00<\?, \?it\/s\]\rGenerating samples: {3}2%\|▎ {9}\| 1\/35 \[/m);
  });

  it('runs a batch of three with the middle prompt guardrail-blocked: exit 0, the outer videos, only the JSON of the middle', async () => {
    const samples = [
      { name: 'rs_a', prompt: PROMPT },
      { name: 'rs_b', prompt: 'A street with a GUARDRAIL_BLOCKED_WORD sign.' },
      { name: 'rs_c', prompt: 'A forklift in a warehouse.' },
    ];
    const { specs, outputs } = await layout('k3', samples);
    const result = await runJob('cosmos-transfer2.5-k3', torchrun(1, specs, outputs));
    expect(result.exitCode, result.stderr).toBe(0);
    const files = (await readdir(outputs)).filter((f) => f.startsWith('rs_')).sort();
    expect(files).toEqual(['rs_a.json', 'rs_a.mp4', 'rs_a.txt', 'rs_a_control_depth.mp4', 'rs_b.json', 'rs_c.json', 'rs_c.mp4', 'rs_c.txt', 'rs_c_control_depth.mp4']);
    expect(result.stdout).toMatch(/\|CRITICAL\|cosmos_transfer2\/inference\.py:217:_generate_sample\] Guardrail blocked generation\. Prompt: A street with a GUARDRAIL_BLOCKED_WORD sign\.$/m);
    expect(result.stdout).not.toContain('GUARDRAIL BLOCKED');
    expect(result.stdout.match(/Generated video saved to/g)).toHaveLength(2);
    expectInOrder(result.stdout, ['[1/3] Processing sample rs_a', '[2/3] Processing sample rs_b', 'Guardrail blocked generation', '[3/3] Processing sample rs_c']);
    expect(await readFile(join(outputs, 'debug.log'), 'utf8')).toContain(
      'GUARDRAIL BLOCKED: BLOCKLIST: Prompt blocked by exact match blocklist: Prompt: A street with a GUARDRAIL_BLOCKED_WORD sign., Exact Match Word: GUARDRAIL_BLOCKED_WORD',
    );
    expect(result.stderr.match(BAR)).toHaveLength(4);
  });

  it('--no-keep-going turns a guardrail block into an Exception traceback and exit 1; earlier samples stay', async () => {
    const samples = [{ name: 'rs_a', prompt: PROMPT }, { name: 'rs_b', prompt: 'A GUARDRAIL_BLOCKED_WORD.' }, { name: 'rs_c', prompt: PROMPT }];
    const { specs, outputs } = await layout('knk', samples);
    const result = await runJob('cosmos-transfer2.5-knk', torchrun(1, specs, outputs, ['--no-keep-going']));
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('[rank0]: Exception: Guardrail blocked generation. Prompt: A GUARDRAIL_BLOCKED_WORD.');
    expect(result.stderr).toContain('torch.distributed.elastic.multiprocessing.errors.ChildFailedError');
    expect(existsSync(join(outputs, 'rs_a.mp4'))).toBe(true);
    expect(existsSync(join(outputs, 'rs_b.json'))).toBe(true);
    expect(existsSync(join(outputs, 'rs_c.json'))).toBe(false);
  });

  it('rejects a bad spec before the model loads: pydantic text on stderr, exit 1, nothing in -o', async () => {
    const { specs, outputs } = await layout('kbad', [
      { name: 'rs_ok', prompt: PROMPT, edge: { control_weight: 0.5, canny_threshold: 'high' } },
      { name: 'rs_bad', prompt: PROMPT, num_frames: 93 },
    ]);
    const result = await runJob('cosmos-transfer2.5-kbad', ['python', 'examples/inference.py', '-i', ...specs, '-o', outputs]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe(
      `Error validating parameters from '${specs[1]}' at line 0\n1 validation error for InferenceArguments\nnum_frames\n  Extra inputs are not permitted [type=extra_forbidden, input_value=93, input_type=int]\n    For further information visit https://errors.pydantic.dev/2.11/v/extra_forbidden\n`,
    );
    expect(existsSync(outputs)).toBe(false);

    const typed = await layout('ktypes', [{ name: 'rs_t', prompt: PROMPT, guidance: 3.5, resolution: 720, depth: { control_weight: 1.5 } }], 'jsonl');
    const second = await runJob('cosmos-transfer2.5-ktypes', ['python', 'examples/inference.py', '--input_files', ...typed.specs, '--output_dir', typed.outputs]);
    expect(second.exitCode).toBe(1);
    expect(second.stderr).toContain('3 validation errors for InferenceArguments\nguidance\n  Input should be a valid integer, got a number with a fractional part [type=int_from_float, input_value=3.5, input_type=float]');
    expect(second.stderr).toContain('resolution\n  Input should be a valid string [type=string_type, input_value=720, input_type=int]');
    expect(second.stderr).toContain('depth.control_weight\n  Input should be less than or equal to 1 [type=less_than_equal, input_value=1.5, input_type=float]');

    const batch = await layout('kdup', [{ name: 'rs_none', prompt: PROMPT, depth: null }]);
    const noControl = await runJob('cosmos-transfer2.5-knone', ['python', 'examples/inference.py', '-i', ...batch.specs, '-o', batch.outputs]);
    expect(noControl.stderr).toMatch(/^ {2}Value error, No controls provided, please provide at least one control key \(edge, blur, depth, seg\) \[type=value_error, input_value=\{'video_path': '.{9}\.\.\..{23}\}, input_type=dict\]$/m);
    const duplicate = await runJob('cosmos-transfer2.5-kdup', ['python', 'examples/inference.py', '-i', ...typed.specs.map(() => specs[0] ?? ''), specs[0] ?? '', '-o', batch.outputs]);
    expect(duplicate.exitCode).toBe(1);
    expect(duplicate.stderr).toBe('Error: Inference samplename rs_ok is not unique\n');
    expect(existsSync(batch.outputs)).toBe(false);
  });

  it('parses argv like tyro: required -o, unknown options, snake_case and --flag=value, CLI overrides win over the spec', async () => {
    const { specs, outputs } = await layout('kargs', [{ name: 'rs_x', prompt: PROMPT, seed: 1, num_steps: 35, video_path: '../inputs/./color.mp4' }]);
    const missing = await runJob('cosmos-transfer2.5-kmiss', ['python', 'examples/inference.py', '-i', ...specs]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/^╭─ Required options ─+╮$/m);
    expect(panelText(missing.stderr)).toContain('The following arguments are required: -o/--output-dir');
    const unknown = await runJob('cosmos-transfer2.5-kunk', ['python', 'examples/inference.py', '-i', ...specs, '-o', outputs, '--num-frames', '93']);
    expect(unknown.exitCode).toBe(2);
    expect(panelText(unknown.stderr)).toContain('Unrecognized options: --num-frames 93');

    const result = await runJob('cosmos-transfer2.5-kargs', ['python', 'examples/inference.py', '-i', ...specs, '--output_dir', outputs, '--num_steps=5', '--seed', '7', '--disable_guardrails']);
    expect(result.exitCode, result.stderr).toBe(0);
    // Relative spec paths resolve against the spec's folder and are made absolute without normalizing `..`.
    const inputs = join(remote, 'cosmos-jobs', 'kargs', 'inputs');
    expect(JSON.parse(await readFile(join(outputs, 'rs_x.json'), 'utf8'))).toMatchObject({ seed: 7, num_steps: 5, video_path: `${inputs}/../inputs/color.mp4` });
    expect(result.stderr).toContain('| 5/5 [');
    expectInOrder(result.stdout, ['Guardrail checks on prompt are disabled', 'Guardrail checks on video are disabled', 'Generated video saved to']);
    expect(result.stdout).not.toContain('Running guardrail check');
  });

  it('accepts --model edge/distilled only with COSMOS_EXPERIMENTAL_CHECKPOINTS=1, and the distilled sampler has no tqdm bar', async () => {
    const { specs, outputs } = await layout('kdist', [{ name: 'rs_d', prompt: PROMPT, num_steps: 4, depth: null, edge: { control_weight: 1.0 } }]);
    const refused = await runJob('cosmos-transfer2.5-kdist-no', torchrun(1, specs, outputs, ['--model', 'edge/distilled']));
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('exitcode  : 2');
    expect(panelText(refused.stderr)).toContain("Argument --model: invalid choice: 'edge/distilled' (choose from 'depth', 'edge', 'seg', 'vis')");
    expect(existsSync(outputs)).toBe(false);

    const result = await runJob('cosmos-transfer2.5-kdist', torchrun(1, specs, outputs, ['--model=edge/distilled']), { env: ['COSMOS_EXPERIMENTAL_CHECKPOINTS=1'] });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).not.toContain('Generating samples');
    expectInOrder(result.stdout, ['Downloading checkpoint nvidia/Cosmos-Transfer2.5-2B/distilled/edge(41f07f13-f2e4-4e34-ba4c-86f595acbc20)', 'Setting net_fake_score to None for distilled model inference', 'Generated output has 121 frames (> 93).', `Generated video saved to ${outputs}/rs_d.mp4`]);
    expect(await probeMp4File(join(outputs, 'rs_d.mp4'))).toMatchObject({ width: 320, height: 180, frames: 121, fps: 24 });
  });

  it('runs one process per GPU under torchrun: every rank draws its bars, rank 0 alone logs and saves; nvidia-smi shows both GPUs busy', async () => {
    const { specs, outputs } = await layout('k2gpu', [{ name: 'rs_2', prompt: PROMPT }]);
    const name = 'cosmos-transfer2.5-k2gpu';
    const started = await sim.runContainer(name, torchrun(2, specs, outputs), ['-v', '/workspace/.venv', '-v', `${remote}:${remote}`, '--gpus', '"device=0,1"']);
    expect(started.code).toBe(0);
    const busy = await eventually(async () => {
      const smi = await sim.nvidiaSmi('--query-gpu=index,utilization.gpu', '--format=csv,noheader,nounits');
      const utils = smi.stdout.trim().split('\n').map((l) => Number(l.split(',')[1]));
      return utils.every((u) => u >= 95) ? utils : undefined;
    });
    expect(busy).toHaveLength(2);
    expect(await waitForExitCode(sim, name)).toBe(0);
    const result = await sim.docker('logs', name);
    expect(result.stderr.match(BAR)).toHaveLength(4);
    expect(result.stdout.match(/Generated video saved to/g)).toHaveLength(1);
    expect(result.stdout.match(/\[1\/1\] Processing sample rs_2/g)).toHaveLength(1);
    expect(JSON.parse(await readFile(join(outputs, 'rs_2.json'), 'utf8')).name).toBe('rs_2');
    // `-v /workspace/.venv` is an anonymous volume: a fresh empty directory of this container only.
    const mounts = JSON.parse((await sim.docker('inspect', '-f', '{{json .Mounts}}', name)).stdout) as { Source: string; Destination: string }[];
    const venv = mounts.find((m) => m.Destination === '/workspace/.venv');
    expect(venv?.Source.startsWith(join(sim.home, 'volumes'))).toBe(true);
    expect(await readdir(venv?.Source ?? '')).toEqual([]);
  });

  it('multi-GPU: a text-guardrail block on rank 0 leaves the other ranks waiting in that sample, so the job never ends', async () => {
    const { specs, outputs } = await layout('kdesync', [{ name: 'rs_blk', prompt: 'A GUARDRAIL_BLOCKED_WORD.' }]);
    const name = 'cosmos-transfer2.5-kdesync';
    await sim.runContainer(name, torchrun(2, specs, outputs), ['-v', `${remote}:${remote}`, '--gpus', '"device=0,1"']);
    await eventually(async () => {
      const current = await sim.docker('logs', name);
      return current.stdout.includes('Guardrail blocked generation. Prompt: A GUARDRAIL_BLOCKED_WORD.') ? current : undefined;
    });
    await new Promise((r) => setTimeout(r, 1500));
    // Rank 1's bar stays at 0/35 without a newline, so docker logs does not show it yet.
    expect((await sim.docker('logs', name)).stderr).not.toContain('Generating samples');
    expect((await sim.docker('inspect', '-f', '{{.State.Running}}', name)).stdout.trim()).toBe('true');
  });

  it('injects faults per sample: a video-guardrail block skips the video, an OOM mid-batch ends it; a failed checkpoint download', async () => {
    await setFaults(sim.home, [
      { promptContains: 'unsafe-video', mode: 'guardrail_video' },
      { promptContains: 'explode', mode: 'oom' },
      { promptContains: 'no-checkpoint', mode: 'missing_checkpoint' },
    ]);
    const samples = [{ name: 'rs_v', prompt: 'An unsafe-video scene.' }, { name: 'rs_o', prompt: 'Robots explode.' }, { name: 'rs_after', prompt: PROMPT }];
    const { specs, outputs } = await layout('kf', samples);
    const result = await runJob('cosmos-transfer2.5-kf', torchrun(1, specs, outputs));
    expect(result.exitCode).toBe(1);
    expect((await readdir(outputs)).filter((f) => f.startsWith('rs_')).sort()).toEqual(['rs_o.json', 'rs_v.json', 'rs_v_control_depth.mp4']);
    expectInOrder(result.stdout, ['Running guardrail check on video...', '[2/3] Processing sample rs_o']);
    expect(result.stdout).not.toContain('Passed guardrail on generated video');
    expect(result.stderr).toMatch(/^\[rank0\]: torch\.OutOfMemoryError: CUDA out of memory\. Tried to allocate/m);
    expect(await readFile(join(outputs, 'debug.log'), 'utf8')).toContain('GUARDRAIL BLOCKED: VIDEOCONTENTSAFETYFILTER: unsafe frames detected');

    const download = await layout('kck', [{ name: 'rs_ck', prompt: 'no-checkpoint here' }]);
    const failed = await runJob('cosmos-transfer2.5-kck', ['python', 'examples/inference.py', '-i', ...download.specs, '-o', download.outputs]);
    expect(failed.exitCode).toBe(1);
    expect(failed.stderr).toContain(
      "subprocess.CalledProcessError: Command '['uvx', 'hf>=1.3.5', 'download', 'nvidia/Cosmos-Transfer2.5-2B', '--repo-type', 'model', '--revision', 'dea7737ca29dd8d9086413c6dc5724b8250a0bb4', 'general/depth/626e6618-bfcd-4d9a-a077-1409e2ce353f_ema_bf16.pt']' returned non-zero exit status 1.",
    );
  });
});
