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

  it('gives the script the variable torchrun leaves unset for one process, and the prompt as one --prompt= token', () => {
    const video = { path: '/v.mp4', sha256: 'a'.repeat(64), bytes: 1, width: 64, height: 64, frames: 9, fps: 24 };
    const plan = enhanceModel.planJob({
      items: [{ run: { id: 'rs_e', executionConfig: {} } as unknown as Run, prompt: { promptText: 'p', inputs: { video } } as unknown as Prompt }],
      layout: describeJobLayout('/srv', 'rs_e'), host: { image: 'i', workspace: '/srv', hfCache: '/srv/hf', env: {}, mounts: [], remoteDir: '/srv', gpusPerJob: 4 },
    });
    expect(plan.launch.env).toMatchObject({ OMP_NUM_THREADS: '1' });
    expect(plan.launch.command).toContainEqual({ flag: '--prompt', contentsOf: 'cosmos-jobs/rs_e/inputs/prompt.txt' });
    expect(plan.launch.command.slice(0, 2)).toEqual(['torchrun', '--nproc_per_node=1']);
  });
});

describe('a prompt read from its file by the container shell', () => {
  it('is one argv token glued to its flag, whatever it starts with, and never on our command line', async () => {
    const { quoteModelArg } = await import('../../src/gpu/docker.js');
    const { execFileSync } = await import('node:child_process');
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const dir = mkdtempSync('/tmp/cosmos-prompt-');
    writeFileSync(`${dir}/p.txt`, "--check $(id) 'quoted'\nsecond line");
    const rendered = quoteModelArg({ flag: '--prompt', contentsOf: `${dir}/p.txt` });
    expect(rendered).not.toContain('check');
    const argv = execFileSync('sh', ['-c', `printf '%s\\0' ${rendered}`], { encoding: 'utf8' }).split('\0').slice(0, -1);
    expect(argv).toEqual(["--prompt=--check $(id) 'quoted'\nsecond line"]);
  });
});
