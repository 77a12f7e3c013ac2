import { InputError, NotFoundError } from '../core/input-error.js';
import { findPrompt } from '../db/queries/prompts.js';
import { findRun } from '../db/queries/runs.js';
import { findModelType, type JobContext, type JobPlan } from '../models/index.js';
import type { ActivityDeps } from './deps.js';

/** The run, its prompt and (for an upscale) its source run, plus the model type's plan for the job. */
export async function loadJob(deps: ActivityDeps, runId: string): Promise<JobContext & { plan: JobPlan }> {
  const run = await findRun(deps.db, runId);
  if (!run) throw new NotFoundError(`run ${runId} does not exist`);
  const prompt = await findPrompt(deps.db, run.promptId);
  if (!prompt) throw new InputError(`prompt ${run.promptId} of run ${runId} does not exist`);
  const source = run.parentRunId ? await findRun(deps.db, run.parentRunId) : undefined;
  const context: JobContext = { run, prompt, ...(source ? { source } : {}) };
  return { ...context, plan: findModelType(run.modelType).planJob(context) };
}
