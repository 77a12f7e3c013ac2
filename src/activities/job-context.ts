import { InputError, NotFoundError } from '../core/input-error.js';
import { findRun, findRunWithPrompt } from '../db/queries/runs.js';
import { containerNameFor } from '../gpu/docker.js';
import { describeJobLayout, type JobLayout } from '../gpu/job-layout.js';
import { findModelType, hostServes, hostSettingsFor, type JobItem, type JobPlan, type ModelType } from '../models/index.js';
import { localRunDir, requireHost, type ActivityDeps, type GpuHost } from './deps.js';

/** One container's work: a single run is a job of one (its key is the run id); a batch segment is `<batch>-<n>`. */
export interface JobRef {
  jobKey: string; modelType: string; runIds: string[]; host: string;
  /** The GPU devices its lease holds on the host (absent only while planning, before a lease). */
  devices?: number[];
}

export interface LoadedJob {
  ref: JobRef;
  model: ModelType;
  host: GpuHost;
  items: JobItem[];
  layout: JobLayout;
  plan: JobPlan;
  containerName: string;
  /** The log on this machine: the run's own for a job of one, the job's otherwise (copied to each run at the end). */
  localLog: string;
  /** The host's env and the model's own env, for the env file (secrets never go on a command line). */
  env: Record<string, string>;
}

/** The runs, their prompts (and source runs), and the model type's plan for the job on this host; no I/O on the host. */
export async function loadJob(deps: ActivityDeps, ref: JobRef): Promise<LoadedJob> {
  const model = findModelType(ref.modelType);
  const host = requireHost(deps, ref.host);
  const items: JobItem[] = [];
  for (const runId of ref.runIds) {
    const found = await findRunWithPrompt(deps.db, runId);
    if (!found) throw new NotFoundError(`run ${runId} does not exist`);
    const { run, prompt } = found;
    if (!prompt) throw new InputError(`prompt ${run.promptId} of run ${runId} does not exist`);
    const source = run.parentRunId ? await findRun(deps.db, run.parentRunId) : undefined;
    items.push({ run, prompt, ...(source ? { source } : {}) });
  }
  // The configuration may have changed since the run was submitted.
  if (!hostServes(host.config, ref.modelType)) {
    throw new InputError(`GPU host ${ref.host} no longer serves ${ref.modelType} (see its [hosts.models] in cosmos.toml); retry the run on a host that does`);
  }
  const layout = describeJobLayout(host.config.remote_dir, ref.jobKey);
  const settings = hostSettingsFor(host.config, ref.modelType);
  const plan = model.planJob({
    items, layout,
    host: settings,
  });
  const single = ref.runIds.length === 1 && ref.jobKey === ref.runIds[0];
  return {
    ref, model, host, items, layout, plan,
    containerName: containerNameFor(ref.modelType, ref.jobKey),
    localLog: single ? `${localRunDir(deps, ref.jobKey)}/run.log` : `${deps.dataDir}/jobs/${ref.jobKey}/run.log`,
    env: { ...host.config.env, ...settings.env },
  };
}

/** Milestones of a batch segment are keyed apart from the segments before it. */
export const logSeqBase = (jobKey: string, runIds: string[]) => (runIds.length === 1 && jobKey === runIds[0] ? 0 : Number(/-(\d+)$/.exec(jobKey)?.[1] ?? 0) * 1_000_000);
