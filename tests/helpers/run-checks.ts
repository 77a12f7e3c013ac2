import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { hashFile } from '../../src/core/file-hash.js';
import { findPrompt } from '../../src/db/queries/prompts.js';
import { findRun, listRunEvents } from '../../src/db/queries/runs.js';
import { findModelType } from '../../src/models/index.js';
import type { Db } from '../../src/db/client.js';
import { describeJobLayout } from '../../src/gpu/job-layout.js';
import { readStartRecord } from '../../simulator/install.js';

const runFile = promisify(execFile);

/** Containers the simulator ever started for a run (or a batch key), from its own record. */
export async function countStarts(simHome: string, key: string): Promise<number> {
  return (await readStartRecord(simHome)).filter((r) => r.name.includes(key)).length;
}

/**
 * What every fault test asks of a run that completed: one container start, each log milestone recorded exactly
 * once and in order, a log that is the container's own (not spliced), and outputs that verify.
 */
export async function expectIntactCompletedRun(db: Db, simHome: string, runId: string): Promise<void> {
  const run = (await findRun(db, runId))!;
  const prompt = (await findPrompt(db, run.promptId))!;
  const source = run.parentRunId ? await findRun(db, run.parentRunId) : undefined;
  const model = findModelType(run.modelType);
  const plan = model.planJob({
    items: [{ run, prompt, ...(source ? { source } : {}) }], layout: describeJobLayout('/remote', run.id),
    host: { image: 'image', workspace: '/remote', hfCache: '/remote/hf', env: {}, mounts: [], remoteDir: '/remote', gpusPerJob: 1 },
  });
  expect(run.status, `${runId}: ${run.failureKind ?? ''} ${run.errorMessage ?? ''}`).toBe('completed');
  expect(await countStarts(simHome, runId)).toBe(1);
  const log = await readFile(run.outputs!.logPath!, 'utf8');
  expect(log.match(/\[COSMOS_COMPLETE\]/g)).toHaveLength(1);
  // The log is the container's own, once: what docker kept of its output, plus the launcher's completion line.
  const { stdout: containerOutput } = await runFile(join(simHome, "bin", "docker"), ["logs", run.containerName!], { maxBuffer: 64 * 1024 * 1024 });
  expect(log).toBe(`${containerOutput}[COSMOS_COMPLETE] exit_code=0\n`);
  const expected = model.trackProgress(plan).feed(log).map((m) => m.message);
  const fromLog = (await listRunEvents(db, runId)).filter((e) => e.logSeq !== null).sort((a, b) => a.logSeq! - b.logSeq!);
  expect(fromLog.map((e) => e.message)).toEqual(expected);
  expect(fromLog.map((e) => e.logSeq)).toEqual(expected.map((_, i) => i));
  const names = run.outputs!.files.map((f) => f.name);
  expect(new Set(names).size).toBe(names.length);
  for (const file of run.outputs!.files) expect(await hashFile(file.path)).toEqual({ sha256: file.sha256, bytes: file.bytes });
}
