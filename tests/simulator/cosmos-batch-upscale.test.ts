import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { probeMp4File } from '../../src/gpu/mp4.js';
import { baseSpec, createSim, transferCommand, waitForExitCode, writeJob, type Sim } from './helpers.js';

vi.setConfig({ testTimeout: 60_000 });
const run = promisify(execFile);

let sim: Sim;
beforeEach(async () => {
  sim = await createSim();
});
afterEach(async () => {
  await sim.cleanup();
});

async function runContainerToEnd(name: string, command: string[]) {
  expect((await sim.runContainer(name, command)).code).toBe(0);
  const exitCode = await waitForExitCode(sim, name);
  return { exitCode, ...(await sim.docker('logs', name)) };
}

async function writeBatch(job: string, lines: string[]): Promise<string[]> {
  const inputs = await writeJob(sim, job, baseSpec(job, { vis: { control_weight: 0.25 } }));
  await writeFile(join(sim.workspace, inputs, 'batch.jsonl'), lines.map((line) => `${line}\n`).join(''));
  return ['--batch_input_path', `${inputs}/batch.jsonl`, '--batch_size', '1'];
}

describe('fake transfer.py in batch mode', () => {
  it('writes video_<i>/output.mp4 and prompt.txt for each JSONL line', async () => {
    const job = 'bt_ok';
    const inputs = `cosmos-jobs/${job}/inputs`;
    const batchArgs = await writeBatch(job, [
      JSON.stringify({ visual_input: `${inputs}/color.mp4`, prompt: 'first "item" $(x)' }),
      JSON.stringify({ visual_input: `${inputs}/color.mp4`, prompt: 'second item', control_overrides: { vis: { input_control: `${inputs}/depth.mp4` }, seg: { control_weight: 1 } } }),
    ]);
    const result = await runContainerToEnd(`cosmos-transfer-${job}`, transferCommand(job, batchArgs));
    expect(result.exitCode, result.stderr).toBe(0);
    const outputs = join(sim.workspace, 'cosmos-jobs', job, 'outputs');
    expect(await readFile(join(outputs, 'video_0', 'prompt.txt'), 'utf8')).toBe('first "item" $(x)');
    expect(await readFile(join(outputs, 'video_1', 'prompt.txt'), 'utf8')).toBe('second item');
    for (const i of [0, 1]) {
      expect(await probeMp4File(join(outputs, `video_${i}`, 'output.mp4'))).toMatchObject({ width: 1280, height: 704, frames: 121 });
    }
    expect(existsSync(join(outputs, 'video_0', 'vis_input_control_0.mp4'))).toBe(true);
    expect(existsSync(join(outputs, 'video_1', 'vis_input_control_0.mp4'))).toBe(false);
    expect(result.stdout).toContain('Ignoring unknown control key in override: seg');
    // The model loads once for the whole file, before it is read (transfer.py:262-285): the DiT, then one full
    // model per ControlNet of a multi-control spec (world_generation_pipeline.py:335-350).
    expect(result.stdout.match(/Start creating base model/g)).toHaveLength(3);
    expect(result.stdout.lastIndexOf('Start creating base model')).toBeLessThan(result.stdout.indexOf('Reading batch inputs from path: '));
  });

  it('keeps the finished items and crashes on the first blocked one, like the real batch run', async () => {
    const job = 'bt_block';
    const inputs = `cosmos-jobs/${job}/inputs`;
    const batchArgs = await writeBatch(job, [
      JSON.stringify({ visual_input: `${inputs}/color.mp4`, prompt: 'fine' }),
      JSON.stringify({ visual_input: `${inputs}/color.mp4`, prompt: 'GUARDRAIL_BLOCKED_WORD here' }),
      JSON.stringify({ visual_input: `${inputs}/color.mp4`, prompt: 'never reached' }),
    ]);
    const result = await runContainerToEnd(`cosmos-transfer-${job}`, transferCommand(job, batchArgs));
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('TypeError: cannot unpack non-iterable NoneType object');
    const outputs = join(sim.workspace, 'cosmos-jobs', job, 'outputs');
    expect(existsSync(join(outputs, 'video_0', 'output.mp4'))).toBe(true);
    expect(existsSync(join(outputs, 'video_1', 'output.mp4'))).toBe(false);
    expect(existsSync(join(outputs, 'video_2'))).toBe(false);
  });

  it('fails with JSONDecodeError on a blank line or pretty-printed JSON', async () => {
    const job = 'bt_pretty';
    const batchArgs = await writeBatch(job, [JSON.stringify({ visual_input: 'x.mp4', prompt: 'a' }, null, 2)]);
    const result = await runContainerToEnd(`cosmos-transfer-${job}`, transferCommand(job, batchArgs));
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('json.decoder.JSONDecodeError: Expecting value: line 1 column 2 (char 1)');
  });
});

describe('fake 4K upscaler and prompt upsampler', () => {
  it('upscales to three times the bucket size with the same frame count', async () => {
    const job = 'rs_up';
    const inputs = await writeJob(sim, job, {});
    await run('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=1280x704:rate=24', '-frames:v', '9', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', join(sim.workspace, inputs, 'short.mp4')]);
    await writeFile(join(sim.workspace, inputs, 'spec.json'), JSON.stringify({ input_video_path: `${inputs}/short.mp4`, upscale: { control_weight: 0.5 } }));
    // Not the real 3 h 14 min per chunk (tested in cosmos-fidelity.test.ts): this test is about the output's shape.
    const settings = JSON.parse(await readFile(join(sim.home, 'sim.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(join(sim.home, 'sim.json'), JSON.stringify({ ...settings, upscaleSecondsPerChunk: 600 }));
    const result = await runContainerToEnd(`cosmos-upscale-${job}`, transferCommand(job, ['--num_steps', '10', '--batch_size', '2']));
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('Setting batch_size=1 as upscale does not support batch generation');
    const output = join(sim.workspace, 'cosmos-jobs', job, 'outputs', 'output.mp4');
    expect(await probeMp4File(output)).toMatchObject({ width: 3840, height: 2112, frames: 9, fps: 24 });
  });

  it('prints the upsampled prompt on stdout, all its lines, and writes no file', async () => {
    const job = 'rs_enh';
    const inputs = await writeJob(sim, job, {});
    const prompt = 'A robot arm\nin an office "at night"';
    const command = (extra: string[]) => [
      'torchrun', '--nproc_per_node=1', 'cosmos_transfer1/auxiliary/upsampler/inference/upsampler_pipeline.py',
      '--prompt', prompt, '--input_video', `${inputs}/color.mp4`, ...extra,
    ];
    // upsampler_pipeline.py:68-69 deletes OMP_NUM_THREADS, which torchrun does not set for one process.
    const result = await runContainerToEnd(`cosmos-enhance-${job}`, ['env', 'OMP_NUM_THREADS=1', ...command(['--checkpoint_dir', 'checkpoints', '--offload_prompt_upsampler'])]);
    expect(result.exitCode, result.stderr).toBe(0);
    const at = result.stdout.indexOf('Upsampled prompt: ');
    const text = result.stdout.slice(at + 'Upsampled prompt: '.length).replace(/\n$/, '');
    expect(text.startsWith('A robot arm in an office "at night".\n')).toBe(true);
    expect(text.split('\n').length).toBeGreaterThan(2);
    expect(readdirSync(join(sim.workspace, inputs)).sort()).toEqual(['color.mp4', 'depth.mp4', 'spec.json']);
    const again = await runContainerToEnd(`cosmos-enhance-${job}-2`, ['env', 'OMP_NUM_THREADS=4', ...command([])]);
    expect(again.stdout).toContain(`Upsampled prompt: ${text}\n`);
  });

  it('the upsampler needs the torchrun environment: plain python raises KeyError RANK', async () => {
    const job = 'rs_enh_py';
    const inputs = await writeJob(sim, job, {});
    const result = await runContainerToEnd(`cosmos-enhance-${job}`, [
      'python', 'cosmos_transfer1/auxiliary/upsampler/inference/upsampler_pipeline.py', '--prompt', 'x', '--input_video', `${inputs}/color.mp4`,
    ]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("KeyError: 'RANK'");
  });

  it('transfer.py --upsample_prompt saves the rewritten prompt', async () => {
    const job = 'rs_ups';
    await writeJob(sim, job, baseSpec(job, { prompt: 'A short prompt', vis: { control_weight: 0.3 } }));
    const result = await runContainerToEnd(`cosmos-transfer-${job}`, transferCommand(job, ['--upsample_prompt', '--offload_prompt_upsampler']));
    expect(result.exitCode, result.stderr).toBe(0);
    // world_generation_pipeline.py:717/724: the first 50 characters and "...".
    expect(result.stdout).toContain('Upsampling prompt 1/1: A short prompt...');
    expect(result.stdout).toContain('Upsampled prompt 1: A short prompt.\n\nThe scene is captured in crisp, p...\n');
    const saved = await readFile(join(sim.workspace, 'cosmos-jobs', job, 'outputs', 'output.txt'), 'utf8');
    expect(saved.startsWith('A short prompt.\n\nThe scene')).toBe(true);
    expect(existsSync(join(sim.workspace, 'cosmos-jobs', job, 'outputs', 'video_0', 'control_input_vis_upsampler.mp4'))).toBe(true);
  });
});
