import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxSeed } from '../../src/models/transfer-params.js';
import { countRows } from '../helpers/migrated-db.js';
import { createPipelineHarness, demoInputs, type PipelineHarness } from '../helpers/pipeline-harness.js';
import { parseJson, runCosmos, type CosmosResult } from '../helpers/run-cosmos.js';
import { seedRun } from '../helpers/seed-records.js';

/** Numbers on the command line of the built CLI: decimal only, negative values and ranges with the real bounds. */
describe('cosmos number flags', () => {
  let h: PipelineHarness;
  let promptId: string;
  const cosmos = (...args: string[]) => runCosmos(h.configPath, args);

  beforeAll(async () => {
    h = await createPipelineHarness({ transport: 'local' });
    promptId = parseJson<{ prompt: { id: string } }>(await cosmos('create', 'prompt', 'a tram in the snow', demoInputs, '--json')).prompt.id;
  });
  afterAll(() => h?.close());

  /** The CLI refused the input and wrote nothing: no prompt or run row was added. */
  async function expectRefused(result: Promise<CosmosResult>, code: number, message: string | RegExp) {
    const before = await countRows(h.db);
    const { code: got, stderr } = await result;
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(got).toBe(code);
    expect(await countRows(h.db)).toEqual(before);
  }

  it('refuses hex, exponents, Infinity and blanks where Number() would take them', async () => {
    await expectRefused(cosmos('inference', promptId, '--steps', '0x10'), 2, /--steps expects a whole number written in decimal digits, such as 7, got "0x10"/);
    await expectRefused(cosmos('inference', promptId, '--seed', '1e3'), 2, /--seed expects a whole number written in decimal digits.*"1e3"/);
    await expectRefused(cosmos('inference', promptId, '--steps', '35.0'), 2, /--steps expects a whole number/);
    await expectRefused(cosmos('inference', promptId, '--guidance', '1e1'), 2, /--guidance expects a number written in decimal, such as 7 or 0.5, got "1e1"/);
    await expectRefused(cosmos('inference', promptId, '--sigma-max', 'Infinity'), 2, /--sigma-max expects a number written in decimal/);
    await expectRefused(cosmos('inference', promptId, '--weights', '0x1', '0', '0', '0'), 2, /--weights expects a number written in decimal.*"0x1"/);
    await expectRefused(cosmos('upscale', `rs_${'0'.repeat(32)}`, '--weight', ' 0.5'), 2, /--weight expects a number written in decimal/);
  });

  it('reads a negative value as a value and answers with the range, not parseArgs\' "ambiguous"', async () => {
    await expectRefused(cosmos('inference', promptId, '--seed', '-5'), 1, /^cosmos: seed: must be between 0 and 4294967254\n$/);
    await expectRefused(cosmos('inference', promptId, '--guidance', '-0.5'), 1, /guidance: must be between 0 and 30/);
    await expectRefused(cosmos('inference', promptId, '--weights', '0.5', '-0.25', '0.25', '0.25'), 1, /weights\.edge: must be between 0 and 1/);
    await expectRefused(cosmos('inference', promptId, '--weights', '-1', '0.25', '0.25', '0.25'), 1, /weights\.vis: must be between 0 and 1/);
  });

  it('parses --port of cosmos api and cosmos dev strictly, before starting anything', async () => {
    for (const command of ['api', 'dev']) {
      await expectRefused(cosmos(command, '--port', '0x1F90'), 2, /--port expects a whole number written in decimal digits, such as 7, got "0x1F90"/);
      await expectRefused(cosmos(command, '--port', '8e3'), 2, /--port expects a whole number written in decimal digits/);
      await expectRefused(cosmos(command, '--port', '-1'), 2, /--port expects a whole number from 0 to 65535, got -1/);
      await expectRefused(cosmos(command, '--port', '70000'), 2, /--port expects a whole number from 0 to 65535, got 70000/);
    }
  });

  it('names the real bounds when a value is out of range: the seed goes up to numpy\'s 2^32 - 1 less the last chunk', async () => {
    expect(maxSeed).toBe(4_294_967_254);
    await expectRefused(cosmos('inference', promptId, '--seed', '4294967255'), 1, /seed: must be between 0 and 4294967254/);
    await expectRefused(cosmos('inference', promptId, '--steps', '201'), 1, /num_steps: must be between 1 and 200/);
    await expectRefused(cosmos('inference', promptId, '--fps', '0'), 1, /fps: must be between 1 and 120/);
    const dryRun = parseJson<{ spec: { seed: number } }>(await cosmos('inference', promptId, '--seed', '4294967254', '--dry-run', '--json'));
    expect(dryRun.spec.seed).toBe(4_294_967_254);
  });

  it('refuses all-zero control weights before any run is written or anything uploaded', async () => {
    await expectRefused(cosmos('inference', promptId, '--weights', '0', '0', '0', '0'), 1, /weights: at least one control weight must be above 0/);
    await expectRefused(cosmos('inference', promptId, '--weights', '0', '0', '0', '0', '--dry-run'), 1, /at least one control weight must be above 0/);
  });

  it('refuses a blank upscale prompt before the upscale run is written', async () => {
    const source = await seedRun(h.db, promptId, { status: 'completed' });
    await expectRefused(cosmos('upscale', source.id, '--prompt', '   '), 1, /prompt: the upscale prompt is blank/);
  });
});
