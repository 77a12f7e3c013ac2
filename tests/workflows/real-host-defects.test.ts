import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEnhance, startInference, startUpscale, waitForRun } from '../../src/client/runs.js';
import { createPrompt } from '../../src/core/create-prompt.js';
import { findPrompt } from '../../src/db/queries/prompts.js';
import { rewritePrompt } from '../../simulator/upsampler.js';
import { createPipelineHarness, makeUniqueInputs, type PipelineHarness } from '../helpers/pipeline-harness.js';

const run = promisify(execFile);

/*
 * The defects of issue 10 that only a simulator following cosmos-transfer1@5005e82 shows, end to end through the
 * orchestrator: the upsampler deletes OMP_NUM_THREADS with no check (upsampler_pipeline.py:68-69), answers with a
 * multi-line print (:42), and the 4K upscaler is silent for one 9-tile sampling call (3 h 14 min of model time).
 */
const timeScale = 0.0015;
/** The default hang_timeout of 45 min, in this test's scaled time. */
const hangTimeoutSeconds = 45 * 60 * timeScale;

describe('real-host defects against a simulator that follows the Cosmos source', () => {
  let h: PipelineHarness;
  const deps = () => ({ db: h.db, temporal: h.temporal, config: h.config });
  const newPrompt = async (text: string) =>
    (await createPrompt(h.db, { text, videoDir: await makeUniqueInputs(h.dir) }, { negativePrompt: 'blurry' })).prompt;
  const containerEnv = async (name: string) => {
    const { stdout } = await run(h.config.hosts[0]!.docker, ['inspect', '--type', 'container', name]);
    return (JSON.parse(stdout) as { Config: { Env: string[] } }[])[0]!.Config.Env;
  };

  beforeAll(async () => {
    h = await createPipelineHarness({
      transport: 'ssh',
      // The simulator's own upscale chunk (3 h 14 min at 10 steps, cosmos-transfer1 issue #134), not the harness's short one.
      sim: { timeScale, upscaleSecondsPerChunk: 11_640 },
      temporal: { hang_timeout: `${Math.round(hangTimeoutSeconds * 1000)}ms` },
    });
    await h.startWorker();
  });
  afterAll(() => h?.close());

  it('an enhance run completes although the script deletes OMP_NUM_THREADS, which torchrun does not set for one process', async () => {
    const prompt = await newPrompt('a lighthouse on a cliff at dusk');
    const done = await waitForRun(deps(), (await startEnhance(deps(), { promptId: prompt.id })).run.id);
    expect(done.status, done.errorMessage ?? '').toBe('completed');
    expect(await containerEnv(done.containerName!)).toEqual(expect.arrayContaining(['OMP_NUM_THREADS=1']));
  });

  it('keeps a multi-line enhanced prompt whole', async () => {
    const prompt = await newPrompt('a tram crossing a bridge in the snow');
    const done = await waitForRun(deps(), (await startEnhance(deps(), { promptId: prompt.id })).run.id);
    expect(done.status, done.errorMessage ?? '').toBe('completed');
    const enhanced = await findPrompt(h.db, (done.outputs!.result as { promptId: string }).promptId);
    // What the simulated model answers: several lines, printed whole (upsampler_pipeline.py:42).
    expect(enhanced!.promptText).toBe(rewritePrompt(prompt.promptText));
    expect(enhanced!.promptText.split('\n').length).toBeGreaterThan(2);
  });

  it('a 4K upscale whose sampling call is silent for longer than the hang timeout completes', async () => {
    const prompt = await newPrompt('a harbour crane lifting a container');
    const source = await waitForRun(deps(), (await startInference(deps(), { promptId: prompt.id })).run.id);
    expect(source.status, source.errorMessage ?? '').toBe('completed');
    const started = Date.now();
    const upscaled = await waitForRun(deps(), (await startUpscale(deps(), { runId: source.id })).run.id);
    expect(upscaled.status, upscaled.errorMessage ?? '').toBe('completed');
    expect((Date.now() - started) / 1000).toBeGreaterThan(11_640 * timeScale);
    // The container's own log: nothing on either stream between the start and the end of its one sampling call,
    // 3 h 14 min of model time, over four times the 45 min the configured hang_timeout stands for.
    const entries = readFileSync(join(h.simHome, 'containers', upscaled.containerName!, 'log.jsonl'), 'utf8').trim().split('\n')
      .map((line) => JSON.parse(line) as { t: string; d: string });
    const start = entries.findIndex((e) => e.d.includes('Starting diffusion sampling'));
    expect(entries[start + 1]!.d).toContain('Completed diffusion sampling');
    const silentSeconds = Number(BigInt(entries[start + 1]!.t) - BigInt(entries[start]!.t)) / 1e9;
    expect(silentSeconds).toBeGreaterThan(hangTimeoutSeconds * 4);
  });
});
