import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Db } from '../db/client.js';
import { isEntityId } from '../db/ids.js';
import { deleteRecords, listRunsOfPrompt } from '../db/queries/maintenance.js';
import { findPrompt } from '../db/queries/prompts.js';
import { findRun } from '../db/queries/runs.js';
import { isOpenRunStatus, type Run } from '../db/schema.js';
import { InputError, NotFoundError } from './input-error.js';

export interface DeletionTarget { kind: 'prompt' | 'run'; id: string }

/** What a delete would remove; shown to the user before anything changes. */
export interface DeletionPlan {
  target: DeletionTarget;
  prompts: { id: string; name: string }[];
  runs: { id: string; modelType: string; status: Run['status'] }[];
  /** Local run folders (outputs, logs, manifests) that exist now. */
  directories: string[];
  /** Runs still pending or running: deleting them needs `force`. */
  openRunIds: string[];
}

export async function planDeletion(db: Db, dataDir: string, target: DeletionTarget): Promise<DeletionPlan> {
  let runs: Run[];
  let prompts: DeletionPlan['prompts'] = [];
  if (target.kind === 'prompt') {
    if (!isEntityId(target.id, 'ps')) throw new InputError(`"${target.id}" is not a prompt id (ps_ followed by 32 hex digits)`);
    const prompt = await findPrompt(db, target.id);
    if (!prompt) throw new NotFoundError(`prompt ${target.id} does not exist`);
    prompts = [{ id: prompt.id, name: prompt.name }];
    runs = await listRunsOfPrompt(db, prompt.id);
  } else {
    if (!isEntityId(target.id, 'rs')) throw new InputError(`"${target.id}" is not a run id (rs_ followed by 32 hex digits)`);
    const run = await findRun(db, target.id);
    if (!run) throw new NotFoundError(`run ${target.id} does not exist`);
    runs = [run];
  }
  const directories = [...new Set(runs.flatMap((run) => [join(resolve(dataDir), 'runs', run.id), run.outputs?.runDir]))]
    .filter((dir): dir is string => dir !== undefined && existsSync(dir));
  return {
    target, prompts, directories,
    runs: runs.map((run) => ({ id: run.id, modelType: run.modelType, status: run.status })),
    openRunIds: runs.filter((run) => isOpenRunStatus(run.status)).map((run) => run.id),
  };
}

export function assertDeletable(plan: DeletionPlan, force: boolean): void {
  if (plan.openRunIds.length === 0 || force) return;
  const runs = plan.openRunIds.join(', ');
  throw new InputError(`${runs} ${plan.openRunIds.length === 1 ? 'is' : 'are'} still running; cancel first (\`cosmos cancel <id>\`) or pass --force`);
}

/** Deletes the planned rows (and, unless keepOutputs, the run folders); refuses open runs unless forced. */
export async function executeDeletion(db: Db, plan: DeletionPlan, options: { keepOutputs?: boolean; force?: boolean } = {}): Promise<void> {
  assertDeletable(plan, Boolean(options.force));
  await deleteRecords(db, { runIds: plan.runs.map((r) => r.id), promptIds: plan.prompts.map((p) => p.id) });
  if (!options.keepOutputs) for (const dir of plan.directories) await rm(dir, { recursive: true, force: true });
}
