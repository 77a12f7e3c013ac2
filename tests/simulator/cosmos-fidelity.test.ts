import { existsSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { probeMp4File } from '../../src/gpu/mp4.js';
import { setFaults } from '../../simulator/install.js';
import { baseSpec, createSim, transferCommand, waitForExitCode, writeJob, type Sim } from './helpers.js';

vi.setConfig({ testTimeout: 60_000 });

/*
 * transfer.py behaviours that the orchestrator's real-host defects hinge on, as cosmos-transfer1@5005e82 has them
 * (file:line in the titles and in simulator/README.md's fidelity table).
 */
let sim: Sim | undefined;
afterEach(async () => {
  await sim?.cleanup();
  sim = undefined;
});

async function open(settings: Parameters<typeof createSim>[0] = {}): Promise<Sim> {
  sim = await createSim(settings);
  return sim;
}

async function runToEnd(s: Sim, name: string, command: string[], extra: string[] = []) {
  expect((await s.runContainer(name, command, extra)).code).toBe(0);
  const exitCode = await waitForExitCode(s, name);
  return { exitCode, ...(await s.docker('logs', name)), outputs: join(s.workspace, 'cosmos-jobs', name, 'outputs') };
}

/** The stored log, both streams in order with their nanosecond times. */
function logEntries(s: Sim, name: string): { t: bigint; s: string; d: string }[] {
  return readFileSync(join(s.home, 'containers', name, 'log.jsonl'), 'utf8').trim().split('\n')
    .map((line) => JSON.parse(line) as { t: string; s: string; d: string })
    .map((entry) => ({ ...entry, t: BigInt(entry.t) }));
}

describe('the 4K upscaler', () => {
  it('is silent on both streams for one sampling call of its 9 tiles, longer than 45 min of model time (issue #134)', async () => {
    const timeScale = 0.0005;
    const s = await open({ timeScale });
    const job = 'fx_up';
    const inputs = await writeJob(s, job, {});
    await writeFile(join(s.workspace, inputs, 'spec.json'), JSON.stringify({ input_video_path: `${inputs}/color.mp4`, upscale: { control_weight: 0.5 } }));
    const result = await runToEnd(s, job, transferCommand(job, ['--num_steps', '10']));
    expect(result.exitCode, result.stderr).toBe(0);
    const entries = logEntries(s, job);
    const start = entries.findIndex((e) => e.d.includes('Starting diffusion sampling'));
    const end = entries.findIndex((e) => e.d.includes('Completed diffusion sampling'));
    expect(end).toBe(start + 1);
    const silentSeconds = Number((entries[end]!.t - entries[start]!.t) / 1_000_000n) / 1000;
    expect(silentSeconds).toBeGreaterThan(45 * 60 * timeScale);
    expect(silentSeconds).toBeGreaterThan(11_640 * timeScale * 0.95);
    expect(await probeMp4File(join(result.outputs, 'output.mp4'))).toMatchObject({ width: 3840, height: 2112 });
  });
});

describe('controls and weights', () => {
  it('computes every control of the spec whatever its weight, and all-zero weights run to the end (no check: inference_utils.py:1264-1275)', async () => {
    const s = await open();
    const job = 'fx_zero';
    await writeJob(s, job, baseSpec(job, { depth: { control_weight: 0, input_control: `cosmos-jobs/${job}/inputs/depth.mp4` }, vis: { control_weight: 0 }, edge: { control_weight: '0' } }));
    const result = await runToEnd(s, job, transferCommand(job));
    expect(result.exitCode, result.stderr).toBe(0);
    // preprocessors.py:141-182: computed because input_control is missing; vis/edge are written at 30 fps.
    for (const key of ['vis', 'edge']) {
      expect(result.stdout).toContain(`no input_control provided for ${key}. generating input control video with ${key === 'vis' ? 'VisControlModel' : 'EdgeControlModel'}`);
      expect(await probeMp4File(join(result.outputs, `${key}_input_control_0.mp4`))).toMatchObject({ fps: 30 });
    }
    // One ControlNet per control, each a full model of its own (world_generation_pipeline.py:335-350).
    expect(result.stdout.match(/Loading ctrl model from ckpt_path: /g)).toHaveLength(3);
    expect(result.stdout.match(/Start creating base model/g)).toHaveLength(4);
    expect(existsSync(join(result.outputs, 'output.mp4'))).toBe(true);
  });

  it('a spec without controls passes validation and fails after the whole model loaded (control_input.py:660)', async () => {
    const s = await open();
    const job = 'fx_none';
    await writeJob(s, job, baseSpec(job, { depth: undefined }));
    const result = await runToEnd(s, job, transferCommand(job));
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('Done creating ctrlnet model');
    expect(result.stdout).toContain('Starting data augmentation');
    expect(result.stderr).toContain('[rank0]: RuntimeError: torch.cat(): expected a non-empty list of Tensors');
    expect(result.stderr).not.toContain('ValueError');
  });

  it('a weight of no number type is float()\'s TypeError, not the ValueError (inference_utils.py:1269); a non-dict block without an input video cannot be searched', async () => {
    const s = await open();
    const none = await runToEnd(s, 'fx_wnone', (await writeJob(s, 'fx_wnone', baseSpec('fx_wnone', { vis: { control_weight: null } })), transferCommand('fx_wnone')));
    expect(none.stderr).toContain("[rank0]: TypeError: float() argument must be a string or a real number, not 'NoneType'");
    const int = await runToEnd(s, 'fx_int', (await writeJob(s, 'fx_int', baseSpec('fx_int', { input_video_path: '', sigma_max: 80, depth: 5 })), transferCommand('fx_int')));
    expect(int.stderr).toContain("[rank0]: TypeError: argument of type 'int' is not iterable");
  });
});

describe('multi-GPU', () => {
  it('a GPU count that does not divide the 16 latent frames fails at the first chunk, after the model loaded (parallel.py:47)', async () => {
    const s = await open({ gpus: 3 });
    const job = 'fx_cp3';
    await writeJob(s, job, baseSpec(job));
    const result = await runToEnd(s, job, transferCommand(job, [], 3), ['--gpus', '"device=0,1,2"']);
    expect(result.exitCode).toBe(1);
    // Before distributed.init() every process logs as rank 0 (utils/log.py:98-104); after it only rank 0, plus
    // the rank0_only=False line from each rank (utils/distributed.py:63-66).
    expect(result.stdout.match(/\] control_inputs: \{/g)).toHaveLength(3);
    for (const rank of [0, 1, 2]) expect(result.stdout).toContain(`[RANK ${rank}]Initialized distributed training with local rank ${rank} with timeout 1800`);
    expect(result.stdout.match(/Start creating base model/g)).toHaveLength(1);
    expect(result.stdout).toContain('Enabling CP in base model');
    expect(result.stdout).toContain('Starting diffusion sampling');
    expect(result.stderr).toMatch(/^\[rank\d\]: AssertionError: 16 cannot divide cp_size 3$/m);
    expect(existsSync(join(result.outputs, 'output.mp4'))).toBe(false);
  });
});

describe('the video guardrail', () => {
  it('blocks a generated video: CRITICAL lines, then the None result is unpacked (presets.py:71, world_generation_pipeline.py:788-800, transfer.py:377-387)', async () => {
    const s = await open();
    const job = 'fx_gv';
    await writeJob(s, job, baseSpec(job, { prompt: 'unsafe frames here', vis: { control_weight: 0.3 } }));
    await setFaults(s.home, [{ promptContains: 'unsafe frames', mode: 'guardrail_video' }]);
    const result = await runToEnd(s, job, transferCommand(job));
    expect(result.exitCode).toBe(1);
    const critical = (where: string, message: string) => new RegExp(`^\\[[^\\]]*\\|CRITICAL\\|${where.replaceAll('/', '\\/').replaceAll('.', '\\.')}\\] ${message.replaceAll('.', '\\.')}$`, 'm');
    expect(result.stdout).toMatch(critical('cosmos_transfer1/auxiliary/guardrail/common/presets.py:71:run_video_guardrail', 'GUARDRAIL BLOCKED: VIDEOCONTENTSAFETYFILTER: unsafe frames detected'));
    expect(result.stdout).toMatch(critical('cosmos_transfer1/diffusion/inference/world_generation_pipeline.py:797:generate', 'Generated video 1 is not safe'));
    expect(result.stdout).toMatch(critical('cosmos_transfer1/diffusion/inference/world_generation_pipeline.py:799:generate', 'All generated videos failed safety checks'));
    expect(result.stdout).toMatch(critical('cosmos_transfer1/diffusion/inference/transfer.py:377:demo', 'Guardrail blocked generation for entire batch.'));
    expect(result.stdout).toContain('Completed diffusion sampling');
    expect(result.stderr).toContain('[rank0]:     videos, final_prompts = batch_outputs\n[rank0]:     ^^^^^^^^^^^^^^^^^^^^^\n[rank0]: TypeError: cannot unpack non-iterable NoneType object');
    expect(existsSync(join(result.outputs, 'vis_input_control_0.mp4'))).toBe(true);
    expect(existsSync(join(result.outputs, 'output.mp4'))).toBe(false);
  });

  it('in a batch of two, the safe video is saved by its position among the survivors: the wrong folder (transfer.py:390-394)', async () => {
    const s = await open();
    const job = 'fx_gvb';
    const inputs = await writeJob(s, job, baseSpec(job));
    await writeFile(join(s.workspace, inputs, 'batch.jsonl'), [
      { visual_input: `${inputs}/color.mp4`, prompt: 'first, unsafe frames' },
      { visual_input: `${inputs}/color.mp4`, prompt: 'second, fine' },
      { visual_input: `${inputs}/color.mp4` },
    ].map((line) => `${JSON.stringify(line)}\n`).join(''));
    await setFaults(s.home, [{ promptContains: 'unsafe frames', mode: 'guardrail_video' }]);
    const result = await runToEnd(s, job, transferCommand(job, ['--batch_input_path', `${inputs}/batch.jsonl`, '--batch_size', '2']));
    expect(result.stdout).toContain('Running batch generation with batch_size=2');
    expect(await readFile(join(result.outputs, 'video_0', 'prompt.txt'), 'utf8')).toBe('second, fine');
    expect(existsSync(join(result.outputs, 'video_1', 'output.mp4'))).toBe(false);
    // The third line has no prompt: None, which the blocklist calls empty (blocklist.py:163-164).
    expect(result.stdout).toContain('GUARDRAIL BLOCKED: BLOCKLIST: Input is empty');
    expect(result.exitCode).toBe(1);
  });
});

describe('the distilled edge model (--use_distilled)', () => {
  it('loads one consolidated checkpoint, prints its video paths, logs N_clip and samples in one pass (world_generation_pipeline.py:1278-1443)', async () => {
    const s = await open();
    const job = 'fx_dist';
    await writeJob(s, job, baseSpec(job, { depth: undefined, edge: { control_weight: 0.8 } }));
    const result = await runToEnd(s, job, transferCommand(job, ['--use_distilled']));
    expect(result.exitCode, result.stderr).toBe(0);
    for (const line of [
      'Using default checkpoint path: checkpoints/nvidia/Cosmos-Transfer1-7B/edge_control_distilled.pt',
      'Loading distilled consolidated checkpoint', 'Regional prompts not supported when using distilled model, dropping: []', 'N_clip: 1',
    ]) expect(result.stdout).toContain(line);
    expect(result.stdout).toMatch(new RegExp(`^video paths: \\['cosmos-jobs/${job}/inputs/color\\.mp4'\\]$`, 'm'));
    expect(result.stdout).not.toContain('Done loading the base model checkpoint.');
    const entries = logEntries(s, job);
    const gap = (entries.find((e) => e.d.includes('Completed diffusion sampling'))!.t - entries.find((e) => e.d.includes('Starting diffusion sampling'))!.t) / 1_000_000n;
    // A two-control 35-step chunk would be silent 540 s × 0.002 = 1.08 s; the one pass is 1/70 of it.
    expect(Number(gap)).toBeLessThan((540 * 0.002 * 1000) / 3);
  });

  it('has only an edge default (inference_utils.py:1247-1253) and takes one control (world_generation_pipeline.py:1287)', async () => {
    const s = await open();
    const depth = await runToEnd(s, 'fx_dd', (await writeJob(s, 'fx_dd', baseSpec('fx_dd')), transferCommand('fx_dd', ['--use_distilled'])));
    expect(depth.stderr).toContain('[rank0]: ValueError: No default distilled checkpoint for depth. Users must specify ckpt_path in config.');
    const two = await runToEnd(s, 'fx_d2', (await writeJob(s, 'fx_d2', baseSpec('fx_d2', { depth: undefined, edge: { control_weight: 0.5 }, vis: { control_weight: 0.5, ckpt_path: 'checkpoints/x.pt' } })), transferCommand('fx_d2', ['--use_distilled'])));
    expect(two.stdout).toContain('Loading distilled consolidated checkpoint');
    expect(two.stderr).toContain('[rank0]: AssertionError: Distilled model only supports single control input');
  });
});

describe('models loaded by Hugging Face repo id (depth_anything.py:37, sam2_model.py:66-71)', () => {
  it('fetch into the HF cache when online; offline with an empty cache the library raises; once cached offline works', async () => {
    const s = await open();
    const cache = join(s.workspace, 'hf-cache');
    const run = async (name: string, offline: boolean, key: 'depth' | 'seg') => {
      await writeJob(s, name, baseSpec(name, { depth: undefined, [key]: { control_weight: 0.5 } }));
      return runToEnd(s, name, transferCommand(name), ['-v', `${cache}:/root/.cache/huggingface`, '-e', 'HF_HOME=/root/.cache/huggingface', ...(offline ? ['-e', 'HF_HUB_OFFLINE=1'] : [])]);
    };
    const offline = await run('fx_hf1', true, 'depth');
    expect(offline.exitCode).toBe(1);
    expect(offline.stdout).toContain('Loading Depth Anything model - depth-anything/Depth-Anything-V2-Small-hf...');
    expect(offline.stderr).toContain("[rank0]: OSError: We couldn't connect to 'https://huggingface.co' to load this file, couldn't find it in the cached files and it looks like depth-anything/Depth-Anything-V2-Small-hf is not the path");
    const seg = await run('fx_hf2', true, 'seg');
    expect(seg.stderr).toContain('[rank0]: huggingface_hub.errors.LocalEntryNotFoundError: Cannot find the requested files in the disk cache and outgoing traffic has been disabled.');
    const online = await run('fx_hf3', false, 'depth');
    expect(online.exitCode, online.stderr).toBe(0);
    expect(existsSync(join(cache, 'hub', 'models--depth-anything--Depth-Anything-V2-Small-hf'))).toBe(true);
    expect((await run('fx_hf4', true, 'depth')).exitCode).toBe(0);
  });
});
