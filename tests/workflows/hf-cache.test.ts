import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInference, waitForRun } from '../../src/client/runs.js';
import { createPrompt } from '../../src/core/create-prompt.js';
import { listRunEvents } from '../../src/db/queries/runs.js';
import { hfRepoFolder } from '../../src/activities/hf-cache.js';
import { createPipelineHarness, makeUniqueInputs, type PipelineHarness } from '../helpers/pipeline-harness.js';

const run = promisify(execFile);

/** Segmentation computed on the fly (the prompt has no segmentation.mp4) loads SAM2 and GroundingDINO by repo id. */
describe('the host\'s Hugging Face cache', () => {
  let h: PipelineHarness;
  const deps = () => ({ db: h.db, temporal: h.temporal, config: h.config });
  const containerEnv = async (name: string) => {
    const { stdout } = await run(h.config.hosts[0]!.docker, ['inspect', '--type', 'container', name]);
    return (JSON.parse(stdout) as { Config: { Env: string[] } }[])[0]!.Config.Env;
  };
  const start = async (text: string) => {
    const { prompt } = await createPrompt(h.db, { text, videoDir: await makeUniqueInputs(h.dir) }, { negativePrompt: 'n' });
    return waitForRun(deps(), (await startInference(deps(), { promptId: prompt.id })).run.id);
  };

  beforeAll(async () => {
    h = await createPipelineHarness({ transport: 'ssh' });
    await h.startWorker();
  });
  afterAll(() => h?.close());

  it('is mounted into every job; a job whose models are missing says it fetches them, once they are there it runs offline', async () => {
    const cache = join(h.remoteDir, 'cosmos-cache', 'huggingface');
    const first = await start('a market square computed on the fly');
    expect(first.status, first.errorMessage ?? '').toBe('completed');
    const events = (await listRunEvents(h.db, first.id)).map((e) => e.message);
    expect(events).toContainEqual(expect.stringMatching(/^fetching facebook\/sam2-hiera-large, IDEA-Research\/grounding-dino-tiny into .*Hugging Face cache/));
    const env = await containerEnv(first.containerName!);
    expect(env).toContain('HF_HOME=/root/.cache/huggingface');
    expect(env.some((e) => e.startsWith('HF_HUB_OFFLINE='))).toBe(false);

    for (const repo of ['facebook/sam2-hiera-large', 'IDEA-Research/grounding-dino-tiny']) await mkdir(hfRepoFolder(cache, repo), { recursive: true });
    const second = await start('a market square, offline this time');
    expect(second.status, second.errorMessage ?? '').toBe('completed');
    expect(await containerEnv(second.containerName!)).toContain('HF_HUB_OFFLINE=1');
    expect((await listRunEvents(h.db, second.id)).map((e) => e.message)).not.toContainEqual(expect.stringMatching(/^fetching/));
  });
});
