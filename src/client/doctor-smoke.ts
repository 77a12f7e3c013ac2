import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import type { GpuHostConfig } from '../config.js';
import { createPrompt } from '../core/create-prompt.js';
import { describeFailureHint } from '../core/failure-hints.js';
import { findRun } from '../db/queries/runs.js';
import { fail, ok, warn, type DoctorCheck } from '../gpu/doctor/types.js';
import { hostServes } from '../models/index.js';
import { findProjectRoot } from '../paths.js';
import { cancelWork, startRun, type ClientDeps } from './runs.js';

const smokeText = 'cosmos doctor smoke test: a short street scene, edge control only, one diffusion step';
/** The first step that shows the work reached a worker; a run still pending after this has no worker. */
const pickupMs = 90_000;
const overallMs = 60 * 60_000;

/** The model types a smoke job can use, each with a 1-step, edge-only job. */
const smokeJobs: Record<string, Record<string, unknown>> = {
  transfer: { weights: { vis: 0, edge: 1, depth: 0, seg: 0 }, num_steps: 1 },
  'transfer2.5': { weights: { edge: 1, vis: 0, depth: 0, seg: 0 }, num_steps: 1 },
};

/**
 * One real job end to end on the host through the normal start path (startRun, the worker, the container, the
 * download and checks): 1 diffusion step, the edge control only, on the 5 s sample clip (121 frames: one chunk).
 * It uses the host's gpus_per_job GPUs, the size of every job there. Needs the worker running.
 */
export async function runSmokeJob(deps: ClientDeps, host: GpuHostConfig, options: { pickupMs?: number; overallMs?: number } = {}): Promise<DoctorCheck> {
  const modelType = Object.keys(smokeJobs).find((m) => hostServes(host, m));
  if (!modelType) return warn('smoke', null, `${host.name} serves neither ${Object.keys(smokeJobs).join(' nor ')}: no smoke job`, null);
  const videoDir = join(findProjectRoot(), 'samples', 'demo');
  const { prompt } = await createPrompt(deps.db, { text: smokeText, videoDir, modelType }, { negativePrompt: deps.config.defaults.negative_prompt });
  const started = Date.now();
  const { run } = await startRun(deps, { modelType, promptId: prompt.id, params: smokeJobs[modelType], host: host.name });
  const subject = `${modelType} ${run.id}`;
  for (;;) {
    const current = (await findRun(deps.db, run.id))!;
    const seconds = Math.round((Date.now() - started) / 1000);
    if (current.status === 'completed') {
      const result = current.outputs?.result;
      const video = result?.kind === 'video' ? ` (${result.width}×${result.height}, ${result.frames} frames)` : '';
      return ok('smoke', subject, `a 1-step edge-only ${modelType} job on ${host.gpus_per_job} GPU(s) completed in ${seconds} s${video}`);
    }
    if (current.status === 'failed' || current.status === 'cancelled') {
      const kind = current.failureKind ?? 'internal';
      return fail('smoke', subject, `the smoke job ${current.status} after ${seconds} s: ${kind}: ${current.errorMessage ?? ''}`, describeFailureHint(kind));
    }
    const waited = Date.now() - started;
    if ((current.status === 'pending' && waited > (options.pickupMs ?? pickupMs)) || waited > (options.overallMs ?? overallMs)) {
      await cancelWork(deps, run.id).catch(() => undefined);
      return fail('smoke', subject, current.status === 'pending' ? `no worker picked the job up in ${seconds} s` : `not done after ${seconds} s (stage ${current.stage ?? '-'}); cancelled`,
        current.status === 'pending' ? 'start the worker (`cosmos worker`, or the compose file\'s cosmos-worker) for this configuration' : '`cosmos show` on the run says where it stands');
    }
    await sleep(1000);
  }
}
