import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInference, waitForRun } from '../../src/client/runs.js';
import { createPrompt } from '../../src/core/create-prompt.js';
import { describeJobLayout } from '../../src/gpu/job-layout.js';
import { readStartRecord } from '../../simulator/install.js';
import { createPipelineHarness, makeUniqueInputs, type PipelineHarness } from '../helpers/pipeline-harness.js';

const secret = 'hf_s3cret_token_that_ps_must_never_show';

describe('a container started for a host with env values', () => {
  let h: PipelineHarness;
  beforeAll(async () => {
    h = await createPipelineHarness({ transport: 'ssh', host: { env: { HF_TOKEN: secret, HF_HOME: '/root/.cache/huggingface' } } });
    await h.startWorker();
  });
  afterAll(() => h?.close());

  it('gets them through an --env-file only the SSH user can read, and no value is on the docker command line', async () => {
    const videoDir = await makeUniqueInputs(h.dir);
    const { prompt } = await createPrompt(h.db, { text: 'env file', videoDir }, { negativePrompt: 'n' });
    const deps = { db: h.db, temporal: h.temporal, config: h.config };
    const { run } = await startInference(deps, { promptId: prompt.id });
    const done = await waitForRun(deps, run.id);
    expect(done.status, done.errorMessage ?? '').toBe('completed');

    const [start] = (await readStartRecord(h.simHome)).filter((r) => r.name.includes(run.id));
    const envFile = describeJobLayout(h.remoteDir, run.id).abs.envFile;
    expect(start!.argv.join(' ')).not.toContain(secret);
    expect(start!.argv).toEqual(expect.arrayContaining(['--env-file', envFile]));
    expect((await stat(envFile)).mode & 0o777).toBe(0o600);
    expect(await readFile(envFile, 'utf8')).toBe(`HF_TOKEN=${secret}\nHF_HOME=/root/.cache/huggingface\n`);
    // The simulated docker read the file as the real CLI does: the container has the values.
    const container = JSON.parse(await readFile(join(h.simHome, 'containers', start!.name, 'config.json'), 'utf8')) as { env: string[] };
    expect(container.env).toEqual(expect.arrayContaining([`HF_TOKEN=${secret}`, 'HF_HOME=/root/.cache/huggingface']));
  });
});
