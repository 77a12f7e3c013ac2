import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newRunId } from '../../src/db/ids.js';
import { findPrompt } from '../../src/db/queries/prompts.js';
import { findRun } from '../../src/db/queries/runs.js';
import type { Run } from '../../src/db/schema.js';
import { createPipelineHarness, demoInputs, type PipelineHarness } from '../helpers/pipeline-harness.js';
import { parseJson, runCosmos, type CosmosResult } from '../helpers/run-cosmos.js';
import { seedRun } from '../helpers/seed-records.js';

interface Problem { kind: string; runId: string; path: string; file: string | null }
interface VerifyJson { runsChecked: number; filesChecked: number; problems: Problem[]; fixed: { problem: Problem; action: string }[] | null }

describe('cosmos verify and delete (built executable, real stack)', () => {
  let h: PipelineHarness;
  let promptId: string;
  let runs: Run[];
  const cosmos = (...args: string[]): Promise<CosmosResult> => runCosmos(h.configPath, args);
  const output = (run: Run) => run.outputs!.files.find((f) => f.name === 'output.mp4')!.path;

  beforeAll(async () => {
    h = await createPipelineHarness({ transport: 'local' });
    await h.startWorker();
    promptId = parseJson<{ prompt: { id: string } }>(await cosmos('create', 'prompt', 'an orchard in autumn light', demoInputs, '--json')).prompt.id;
    const finished = await Promise.all([1, 2, 3].map((seed) => cosmos('inference', promptId, '--seed', String(seed), '--wait', '--json')));
    runs = finished.map((result) => parseJson<{ run: Run }>(result).run);
  });
  afterAll(() => h?.close());

  it('finds a deleted output, a tampered output and an orphan folder, and --fix cleans exactly those', async () => {
    const clean = await cosmos('verify');
    expect(clean).toMatchObject({ code: 0, stdout: expect.stringContaining('everything matches') });

    const [deleted, tampered, untouched] = runs as [Run, Run, Run];
    await rm(output(deleted));
    const bytes = await readFile(output(tampered));
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0xff, bytes.length - 1);
    await writeFile(output(tampered), bytes);
    const orphanDir = join(h.config.dataDir, 'runs', newRunId());
    await mkdir(orphanDir);
    await writeFile(join(orphanDir, 'output.mp4'), 'left behind');

    const found = await cosmos('verify');
    expect(found.code).toBe(1);
    expect(found.stdout).toMatch(new RegExp(`^missing +${deleted.id} .*output\\.mp4 is recorded but not on disk$`, 'm'));
    expect(found.stdout).toMatch(new RegExp(`^tampered +${tampered.id} .*output\\.mp4 sha256 .* differs from the recorded`, 'm'));
    expect(found.stdout).toMatch(/^orphan +rs_\w+ .*: no run rs_\w+ in the database$/m);
    const listed = parseJson<VerifyJson>({ ...await cosmos('verify', '--json'), code: 0 });
    // The three runs were started at once, so which was created first (the report's order) is not fixed.
    const listedProblems = listed.problems.map((p) => [p.kind, p.runId, p.file]);
    expect(listedProblems).toHaveLength(3);
    expect(listedProblems).toEqual(expect.arrayContaining([
      ['missing', deleted.id, 'output.mp4'], ['tampered', tampered.id, 'output.mp4'], ['orphan', expect.stringMatching(/^rs_/), null],
    ]));

    const fixed = parseJson<VerifyJson>(await cosmos('verify', '--fix', '--json'));
    expect(fixed.problems).toEqual(listed.problems);
    expect(fixed.fixed?.map((f) => f.problem)).toEqual(listed.problems);
    expect(existsSync(orphanDir)).toBe(false);
    expect(existsSync(output(tampered))).toBe(false);
    expect(existsSync(output(untouched))).toBe(true);
    expect((await findRun(h.db, deleted.id))?.outputs?.files.map((f) => f.name)).not.toContain('output.mp4');
    expect((await findRun(h.db, untouched.id))?.outputs).toEqual(untouched.outputs);
    expect(JSON.parse(await readFile(join(tampered.outputs!.runDir, 'manifest.json'), 'utf8')).files.map((f: { name: string }) => f.name)).not.toContain('output.mp4');

    expect(await cosmos('verify', '--json')).toMatchObject({ code: 0, stdout: expect.stringContaining('"problems": []') });
    expect(await cosmos('verify', 'now')).toMatchObject({ code: 2, stderr: expect.stringContaining('verify takes no arguments') });
  });

  it('reports a recorded output replaced by a symbolic link as tampered, even to a file with the same bytes', async () => {
    const target = runs[2]!;
    const copy = join(h.dir, 'same-bytes.mp4');
    await rename(output(target), copy);
    await symlink(copy, output(target));
    try {
      const listed = parseJson<VerifyJson & { problems: { detail: string }[] }>({ ...await cosmos('verify', '--json'), code: 0 });
      expect(listed.problems).toEqual([expect.objectContaining({
        kind: 'tampered', runId: target.id, file: 'output.mp4', detail: 'output.mp4 is now a symbolic link, not the file that was downloaded',
      })]);
    } finally {
      await rm(output(target));
      await rename(copy, output(target));
    }
    expect(await cosmos('verify')).toMatchObject({ code: 0 });
  });

  it('previews a delete and refuses it without --yes when stdin is not a terminal', async () => {
    const target = runs[2]!;
    const refused = await cosmos('delete', 'run', target.id);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toContain(`would delete:\n  run    ${target.id} transfer completed\n  folder ${target.outputs!.runDir}`);
    expect(refused.stderr).toContain('pass --yes to confirm');
    expect(await findRun(h.db, target.id)).toBeDefined();

    const done = await cosmos('delete', 'run', target.id, '--yes');
    expect(done).toMatchObject({ code: 0, stdout: expect.stringContaining('deleted 0 prompt(s), 1 run(s), 1 folder(s)') });
    expect(await findRun(h.db, target.id)).toBeUndefined();
    expect(existsSync(target.outputs!.runDir)).toBe(false);
  });

  it('refuses to delete running work unless --force', async () => {
    const running = await seedRun(h.db, promptId, { status: 'running', stage: 'generating', gpuHost: h.hostName });
    expect(await cosmos('delete', 'run', running.id, '--yes')).toMatchObject({ code: 1, stderr: `cosmos: ${running.id} is still running; cancel first (\`cosmos cancel <id>\`) or pass --force\n` });
    expect(await findRun(h.db, running.id)).toBeDefined();
    expect(await cosmos('delete', 'run', running.id, '--yes', '--force')).toMatchObject({ code: 0 });
    expect(await findRun(h.db, running.id)).toBeUndefined();
  });

  it('deletes a prompt with its runs but keeps the run folders with --keep-outputs', async () => {
    const { deleted } = parseJson<{ deleted: { prompts: { id: string }[]; runs: { id: string }[]; directories: string[] } }>(
      await cosmos('delete', 'prompt', promptId, '--yes', '--keep-outputs', '--json'));
    expect(deleted.prompts.map((p) => p.id)).toEqual([promptId]);
    expect(deleted.runs.map((r) => r.id).sort()).toEqual([runs[0]!.id, runs[1]!.id].sort());
    expect(await findPrompt(h.db, promptId)).toBeUndefined();
    expect(existsSync(runs[0]!.outputs!.runDir)).toBe(true);
  });

  it('answers bad delete arguments with what to fix', async () => {
    expect(await cosmos('delete', 'thing', 'x')).toMatchObject({ code: 2, stderr: expect.stringContaining('expected "prompt <ps_id>" or "run <rs_id>"') });
    expect(await cosmos('delete', 'run', promptId, '--yes')).toMatchObject({ code: 1, stderr: expect.stringContaining('is not a run id') });
    expect(await cosmos('delete', 'prompt', promptId, '--yes')).toMatchObject({ code: 1, stderr: `cosmos: prompt ${promptId} does not exist\n` });
  });
});
