import { describe, expect, it } from 'vitest';
import { enhanceModel, readUpsampledPrompt } from '../../src/models/enhance.js';
import { describeJobLayout } from '../../src/gpu/job-layout.js';
import type { Prompt, Run } from '../../src/db/schema.js';

describe('the prompt upsampler', () => {
  it('keeps every line of the model\'s answer, up to the launcher\'s own lines', () => {
    const log = [
      '[12-01 10:00:00|INFO|cosmos_transfer1/auxiliary/upsampler/model/upsampler.py:58:__init__] Loading prompt upsampler',
      'Upsampled prompt: A foggy harbour at dawn.',
      '',
      'Cranes stand still; gulls circle the masts.',
      '[COSMOS_COMPLETE] exit_code=0',
    ].join('\n');
    expect(readUpsampledPrompt(log)).toBe('A foggy harbour at dawn.\n\nCranes stand still; gulls circle the masts.');
    expect(readUpsampledPrompt('Upsampled prompt:   \n[COSMOS_COMPLETE] exit_code=0\n')).toBeNull();
    expect(readUpsampledPrompt('nothing here\n')).toBeNull();
  });

  it('gives the script the variables it deletes and unbuffered output', () => {
    const video = { path: '/v.mp4', sha256: 'a'.repeat(64), bytes: 1, width: 64, height: 64, frames: 9, fps: 24 };
    const plan = enhanceModel.planJob({
      items: [{ run: { id: 'rs_e', executionConfig: {} } as unknown as Run, prompt: { promptText: 'p', inputs: { video } } as unknown as Prompt }],
      layout: describeJobLayout('/srv', 'rs_e'), host: { image: 'i', workspace: '/srv', hfCache: '/srv/hf', env: {}, mounts: [], remoteDir: '/srv', gpusPerJob: 4 },
    });
    expect(plan.launch.env).toMatchObject({ OMP_NUM_THREADS: '1', PYTHONUNBUFFERED: '1' });
    expect(plan.launch.command.slice(0, 2)).toEqual(['torchrun', '--nproc_per_node=1']);
  });
});
