import { existsSync, readFileSync } from 'node:fs';
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInference, waitForRun, workflowIdForRun } from '../../src/client/runs.js';
import { createPrompt } from '../../src/core/create-prompt.js';
import { hashFile } from '../../src/core/file-hash.js';
import { listRunEvents } from '../../src/db/queries/runs.js';
import { readStartRecord, setFaults } from '../../simulator/install.js';
import { createPipelineHarness, demoInputs, makeUniqueInputs, type PipelineHarness } from '../helpers/pipeline-harness.js';

describe('inference over SSH against the simulated GPU host', () => {
  let h: PipelineHarness;
  const deps = () => ({ db: h.db, temporal: h.temporal, config: h.config });
  const newPrompt = (text: string) => createPrompt(h.db, { text, videoDir: demoInputs }, { negativePrompt: 'blurry' }).then((r) => r.prompt);

  beforeAll(async () => {
    h = await createPipelineHarness({ transport: 'ssh' });
    await h.startWorker();
  });
  afterAll(() => h?.close());

  it('completes a run with verified outputs, the full container log and a completed workflow', async () => {
    const prompt = await newPrompt('a robot arm pours coffee in a sunlit kitchen');
    const { run } = await startInference(deps(), { promptId: prompt.id });
    const done = await waitForRun(deps(), run.id);

    expect(done.status).toBe('completed');
    expect(done.completedAt).not.toBeNull();
    const files = done.outputs!.files;
    expect(files.map((f) => f.name)).toEqual(expect.arrayContaining(['output.mp4', 'output.txt', 'spec.json', 'run.log']));
    for (const file of files) expect(await hashFile(file.path)).toEqual({ sha256: file.sha256, bytes: file.bytes });
    expect(done.outputs!.result).toMatchObject({ kind: 'video',  width: 1280, height: 704, frames: 121 });
    const manifest = JSON.parse(readFileSync(join(done.outputs!.runDir, 'manifest.json'), 'utf8')) as { files: { name: string; sha256: string }[] };
    expect(manifest.files.map((f) => f.name).sort()).toEqual(files.map((f) => f.name).sort());

    const log = readFileSync(done.outputs!.logPath!, 'utf8').trimEnd();
    expect(log).toContain('Starting diffusion sampling');
    expect(log.split('\n').at(-1)).toBe('[COSMOS_COMPLETE] exit_code=0');

    const description = await h.temporal.workflow.getHandle(workflowIdForRun(run.id)).describe();
    expect(description.status.name).toBe('COMPLETED');
    expect((await listRunEvents(h.db, run.id)).map((e) => e.stage)).toEqual(expect.arrayContaining(['uploading', 'starting', 'generating', 'downloading', 'completed']));
  });

  it('sends no video bytes when the same prompt runs again', async () => {
    const videoDir = await makeUniqueInputs(h.dir);
    const prompt = (await createPrompt(h.db, { text: 'a lighthouse in a storm', videoDir }, { negativePrompt: 'n' })).prompt;
    const first = await waitForRun(deps(), (await startInference(deps(), { promptId: prompt.id })).run.id);
    const second = await waitForRun(deps(), (await startInference(deps(), { promptId: prompt.id })).run.id);

    const inputBytes = prompt.inputs.video.bytes + prompt.inputs.depth!.bytes;
    expect(first.outputs!.upload).toEqual({ bytesSent: inputBytes, filesSent: 2, filesReused: 0 });
    expect(second.status).toBe('completed');
    expect(second.outputs!.upload).toEqual({ bytesSent: 0, filesSent: 0, filesReused: 2 });
  });

  it('hands prompt text with shell metacharacters to the model verbatim, never to a shell', async () => {
    const marker = join(h.dir, 'pwned');
    const text = `it's "quoted" $(touch ${marker}) \`touch ${marker}\` ; touch ${marker} & \n second line $HOME`;
    const prompt = await newPrompt(text);
    const done = await waitForRun(deps(), (await startInference(deps(), { promptId: prompt.id })).run.id);

    expect(done.status).toBe('completed');
    const sentToModel = done.outputs!.files.find((f) => f.name === 'output.txt')!;
    expect(readFileSync(sentToModel.path, 'utf8')).toBe(text);
    expect(existsSync(marker)).toBe(false);
  });

  describe('failures', () => {
    async function runWithFault(mode: 'guardrail' | 'oom' | 'exit1' | 'exit137', text: string) {
      await setFaults(h.simHome, [{ promptContains: text, mode }]);
      const prompt = await newPrompt(text);
      const { run } = await startInference(deps(), { promptId: prompt.id });
      const done = await waitForRun(deps(), run.id);
      const starts = (await readStartRecord(h.simHome)).filter((r) => r.name.includes(run.id));
      return { done, starts };
    }

    it('marks a guardrail block as guardrail_blocked without retrying it', async () => {
      const { done, starts } = await runWithFault('guardrail', 'fault guardrail: a forbidden scene');
      expect(done).toMatchObject({ status: 'failed', failureKind: 'guardrail_blocked' });
      expect(done.errorMessage).toMatch(/guardrail/i);
      expect(done.completedAt).not.toBeNull();
      expect(starts).toHaveLength(1);
      const history = await h.temporal.workflow.getHandle(workflowIdForRun(done.id)).fetchHistory();
      // The container's end is an outcome, not an activity failure to retry: one attempt, no failed task.
      const containerTasks = history.events!.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'runJobContainer');
      expect(containerTasks).toHaveLength(1);
      const attempts = history.events!.map((e) => e.activityTaskStartedEventAttributes?.attempt).filter((a) => a !== undefined && a !== null);
      expect(attempts.every((a) => a === 1)).toBe(true);
      expect(history.events!.filter((e) => e.activityTaskFailedEventAttributes)).toHaveLength(0);
    });

    it('classifies a CUDA out-of-memory crash as out_of_memory', async () => {
      const { done } = await runWithFault('oom', 'fault oom: a huge scene');
      expect(done).toMatchObject({ status: 'failed', failureKind: 'out_of_memory' });
      expect(done.errorMessage).toMatch(/out of memory/i);
    });

    it('reports a plain crash as container_failed with the stderr tail and keeps the log', async () => {
      const { done, starts } = await runWithFault('exit1', 'fault exit1: a crashing scene');
      expect(done).toMatchObject({ status: 'failed', failureKind: 'container_failed' });
      expect(done.errorMessage).toMatch(/exited with code 1: \w*Error: /);
      expect(done.errorMessage).toMatch(/ChildFailedError|Root Cause/);
      expect(starts).toHaveLength(1);
      const log = readFileSync(done.outputs!.logPath!, 'utf8');
      expect(log.trimEnd().split('\n').at(-1)).toBe('[COSMOS_COMPLETE] exit_code=1');
    });
  });

  it('refuses a prompt whose inputs changed on disk since it was created', async () => {
    const dir = await makeUniqueInputs(h.dir);
    const prompt = (await createPrompt(h.db, { text: 'a changing input', videoDir: dir }, { negativePrompt: 'x' })).prompt;
    await cp(join(demoInputs, 'depth.mp4'), join(dir, 'color.mp4'));
    const done = await waitForRun(deps(), (await startInference(deps(), { promptId: prompt.id })).run.id);
    expect(done).toMatchObject({ status: 'failed', failureKind: 'bad_input' });
    expect(done.errorMessage).toMatch(/changed since the prompt was created/);
  });
});
