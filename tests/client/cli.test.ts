import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipelineHarness, demoInputs, projectRoot, type PipelineHarness } from '../helpers/pipeline-harness.js';

const run = promisify(execFile);

describe('the cosmos CLI (built executable, real stack)', () => {
  let h: PipelineHarness;
  async function cosmos(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const env = { ...process.env, COSMOS_CONFIG: h.configPath, NO_COLOR: '1', DATABASE_URL: '', TEMPORAL_ADDRESS: '' };
    try {
      const { stdout, stderr } = await run(process.execPath, [join(projectRoot, 'bin', 'cosmos.js'), ...args], { env });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  beforeAll(async () => {
    h = await createPipelineHarness({ transport: 'local' });
    await h.startWorker();
  });
  afterAll(() => h?.close());

  it('creates a prompt, runs inference with --wait to completion and shows the run', async () => {
    const created = await cosmos('create', 'prompt', 'a paper boat on a rainy street', demoInputs, '--json');
    expect(created.code).toBe(0);
    const promptId = (JSON.parse(created.stdout) as { prompt: { id: string } }).prompt.id;

    const inference = await cosmos('inference', promptId, '--weights', '0.4', '0.2', '0.2', '0.2', '--seed', '7', '--wait', '--json');
    expect(inference.code).toBe(0);
    const { run: finished } = JSON.parse(inference.stdout) as { run: { id: string; status: string; executionConfig: { seed: number; weights: object } } };
    expect(finished.status).toBe('completed');
    expect(finished.executionConfig).toMatchObject({ seed: 7, weights: { vis: 0.4, edge: 0.2, depth: 0.2, seg: 0.2 } });

    const shown = await cosmos('show', finished.id);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`${finished.id} transfer completed`);
    expect(shown.stdout).toMatch(/output: .*output\.mp4/);
  });

  it('answers bad usage with exit 2 and bad input with exit 1, one line on stderr each', async () => {
    expect(await cosmos('frobnicate')).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown command') });
    expect(await cosmos('inference', 'ps_x', '--seed', 'abc')).toMatchObject({ code: 2, stderr: expect.stringContaining('--seed expects a whole number') });
    expect(await cosmos('show', `rs_${'0'.repeat(32)}`)).toMatchObject({ code: 1, stderr: expect.stringMatching(/^cosmos: run rs_0+ does not exist\n$/) });
    expect(await cosmos('create', 'prompt', 'x', '/nonexistent')).toMatchObject({ code: 1, stderr: expect.stringContaining('does not exist') });
    expect((await cosmos('inference', '--help')).stdout).toMatch(/Examples?:/);
  });
});
