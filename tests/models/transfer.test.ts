import { describe, expect, it } from 'vitest';
import { buildDockerRunArgv } from '../../src/gpu/docker.js';
import { simulatedLocalHost } from '../../src/config.js';
import { transferModel } from '../../src/models/transfer.js';
import { resolveTransferParams, transferDefaults } from '../../src/models/transfer-params.js';
import { assertKnownSpecKeys, buildTransferSpec, countChunks } from '../../src/models/transfer-spec.js';
import { describeJobLayout } from '../../src/gpu/job-layout.js';
import type { Prompt, Run } from '../../src/db/schema.js';

describe('transfer spec', () => {
  it('uses one set of defaults and omits controls whose weight is 0', () => {
    const spec = buildTransferSpec({ text: 'p', negative: 'n' }, resolveTransferParams({ weights: { edge: 0 } }), {
      video: 'cosmos-jobs/rs_1/inputs/color.mp4', depth: 'cosmos-jobs/rs_1/inputs/depth.mp4',
    }, 24);
    expect(spec).toEqual({
      prompt: 'p', negative_prompt: 'n', input_video_path: 'cosmos-jobs/rs_1/inputs/color.mp4',
      num_steps: 35, guidance: 5, seed: 1, fps: 24, sigma_max: 70, blur_strength: 'medium', canny_threshold: 'medium',
      vis: { control_weight: 0.25 },
      depth: { control_weight: 0.25, input_control: 'cosmos-jobs/rs_1/inputs/depth.mp4' },
      seg: { control_weight: 0.25 },
    });
    expect(() => assertKnownSpecKeys(spec)).not.toThrow();
    expect(() => assertKnownSpecKeys({ ...spec, input_video: 'typo' })).toThrow(/"input_video"/);
  });

  it('rejects weights out of range, NaN and unknown parameters', () => {
    expect(() => resolveTransferParams({ weights: { vis: 2 } })).toThrow(/between 0 and 1/);
    expect(() => resolveTransferParams({ weights: { vis: Number.NaN } })).toThrow();
    expect(() => resolveTransferParams({ steps: 3 } as never)).toThrow();
    expect(resolveTransferParams()).toEqual(transferDefaults);
  });

  it('writes the output at the input\'s frame rate unless one is given', () => {
    const paths = { video: 'v.mp4' };
    expect(buildTransferSpec({ text: 'p', negative: 'n' }, resolveTransferParams(), paths, 29.97).fps).toBe(30);
    expect(buildTransferSpec({ text: 'p', negative: 'n' }, resolveTransferParams({ fps: 12 }), paths, 29.97).fps).toBe(12);
  });

  it('counts 121-frame chunks the way Cosmos does', () => {
    expect([1, 121, 122, 241, 242].map(countChunks)).toEqual([1, 1, 2, 2, 3]);
  });
});

describe('docker run command', () => {
  it('runs detached without --rm, names and labels the container by run id, and passes every flag as its own token', () => {
    const host = simulatedLocalHost('/data');
    const video = { path: '/v.mp4', sha256: 'a'.repeat(64), bytes: 1, width: 1280, height: 704, frames: 121, fps: 24 };
    const plan = transferModel.planJob({
      items: [{ run: { id: 'rs_1', executionConfig: {} } as unknown as Run, prompt: { promptText: 'p', negativePrompt: 'n', inputs: { video } } as unknown as Prompt }],
      layout: describeJobLayout(host.remote_dir, 'rs_1'),
      host: { image: host.image, workspace: host.remote_dir, hfCache: '/data/hf', env: {}, mounts: [], remoteDir: host.remote_dir, gpusPerJob: 2 },
    });
    const argv = buildDockerRunArgv(host, {
      name: 'cosmos-transfer-rs_1', runId: 'rs_1', modelType: 'transfer', gpuDevices: [0, 1], logPath: plan.logPath, launch: plan.launch,
    });
    expect(argv.slice(0, 3)).toEqual([host.docker, 'run', '-d']);
    expect(argv).not.toContain('--rm');
    expect(argv).toEqual(expect.arrayContaining(['--name', 'cosmos-transfer-rs_1', '--label', 'cosmos.run_id=rs_1', '--gpus', '"device=0,1"', '-w', '/workspace']));
    const script = argv.at(-1)!;
    expect(script).toContain('torchrun --nproc_per_node=2');
    expect(script).toContain('--controlnet_specs cosmos-jobs/rs_1/inputs/spec.json');
    expect(script).toContain('--num_gpus 2');
    expect(script).toMatch(/\[COSMOS_COMPLETE\] exit_code=\$code/);
    expect(script.split('transfer.py')[1]).not.toMatch(/--\w+=/);
  });
});

describe('hang timeouts per model type', () => {
  it('lets the 4K upscaler be silent for its 9 tiles of one sampling call, more with more steps', async () => {
    const { upscaleModel } = await import('../../src/models/upscale.js');
    const job = (config: Record<string, unknown>) => ({ plan: {} as never, items: [{ run: { executionConfig: config } as unknown as Run, prompt: {} as Prompt }] });
    const minutes = 60_000;
    expect(upscaleModel.hangTimeoutMs!(job({}), 45 * minutes)).toBe(9 * 45 * minutes);
    expect(upscaleModel.hangTimeoutMs!(job({ num_steps: 20 }), 45 * minutes)).toBe(18 * 45 * minutes);
    expect(transferModel.hangTimeoutMs).toBeUndefined();
  });
});

describe('models loaded by Hugging Face repo id', () => {
  const host = simulatedLocalHost('/data');
  const planFor = (inputs: Record<string, unknown>, config: Record<string, unknown>) => transferModel.planJob({
    items: [{ run: { id: 'rs_1', executionConfig: config } as unknown as Run, prompt: { promptText: 'p', negativePrompt: 'n', inputs } as unknown as Prompt }],
    layout: describeJobLayout(host.remote_dir, 'rs_1'),
    host: { image: host.image, workspace: host.remote_dir, hfCache: '/data/hf', env: {}, mounts: [], remoteDir: host.remote_dir, gpusPerJob: 1 },
  });
  const video = { path: '/v.mp4', sha256: 'a'.repeat(64), bytes: 1, width: 1280, height: 704, frames: 121, fps: 24 };

  it('are listed for the controls computed on the fly, and the cache is mounted as HF_HOME', () => {
    const plan = planFor({ video }, {});
    expect(plan.hfModels).toEqual({ cache: '/data/hf', repos: ['depth-anything/Depth-Anything-V2-Small-hf', 'facebook/sam2-hiera-large', 'IDEA-Research/grounding-dino-tiny'] });
    expect(plan.launch.mounts).toContain('/data/hf:/root/.cache/huggingface');
    expect(plan.launch.env).toMatchObject({ HF_HOME: '/root/.cache/huggingface' });
    expect(planFor({ video, depth: video }, { weights: { seg: 0 } }).hfModels).toBeUndefined();
  });
});
