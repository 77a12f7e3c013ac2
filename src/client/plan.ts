import { buildDockerRunArgv, containerNameFor, formatEnvFile } from '../gpu/docker.js';
import { describeJobLayout } from '../gpu/job-layout.js';
import { findRun } from '../db/queries/runs.js';
import type { Run } from '../db/schema.js';
import { findModelType, hostServes, hostSettingsFor } from '../models/index.js';
import type { ClientDeps } from './runs.js';
import { resolveRunStart, type StartRunRequest } from './start-run.js';

/** What a run's first step would send, without writing or starting anything (`--dry-run`): its spec and the docker argv. */
export async function planRun(deps: ClientDeps, request: StartRunRequest): Promise<{ host: string; modelType: string; spec: Record<string, unknown> | null; texts: Record<string, string>; command: string[] }> {
  const start = await resolveRunStart(deps, request);
  const model = findModelType(start.modelType);
  // Unpinned, the run goes to whichever serving host frees a slot first; the plan shows the first of them.
  const host = deps.config.hosts.find((h) => (start.host ? h.name === start.host : hostServes(h, model.name)))!;
  const runId = 'rs_<new-run-id>';
  const run = { id: runId, promptId: start.prompt.id, modelType: model.name, executionConfig: start.executionConfig, parentRunId: start.parentRunId ?? null } as unknown as Run;
  const source = start.parentRunId ? await findRun(deps.db, start.parentRunId) : undefined;
  const layout = describeJobLayout(host.remote_dir, runId);
  const settings = hostSettingsFor(host, model.name);
  const plan = model.planJob({
    items: [{ run, prompt: start.prompt, ...(source ? { source } : {}) }], layout,
    host: settings,
  });
  const command = buildDockerRunArgv(host, {
    name: containerNameFor(model.name, runId), runId, modelType: model.name, gpuDevices: host.gpus.slice(0, plan.gpus),
    launch: plan.launch, logPath: plan.logPath, ...(formatEnvFile({ ...host.env, ...settings.env }) ? { envFile: layout.abs.envFile } : {}),
  });
  const specName = Object.keys(plan.texts).find((name) => name.endsWith('.json'));
  return { host: host.name, modelType: model.name, spec: specName ? JSON.parse(plan.texts[specName]!) as Record<string, unknown> : null, texts: plan.texts, command };
}
