import { buildDockerRunArgv, containerNameFor, formatEnvFile } from '../gpu/docker.js';
import { describeJobLayout } from '../gpu/job-layout.js';
import { transferModel } from '../models/transfer.js';
import type { Run } from '../db/schema.js';
import { resolveTransferParams, type TransferParamsInput } from '../models/transfer.js';
import { parse, pickHost, requirePrompt, type ClientDeps } from './runs.js';

/** What `inference` would send, without writing or starting anything (`--dry-run`): the spec and the docker argv. */
export async function planInference(
  deps: ClientDeps, request: { promptId: string; params?: TransferParamsInput; host?: string },
): Promise<{ host: string; spec: Record<string, unknown>; command: string[] }> {
  const prompt = await requirePrompt(deps.db, request.promptId);
  const params = parse(resolveTransferParams, request.params);
  const hostName = await pickHost(deps, request.host);
  const host = deps.config.hosts.find((h) => h.name === hostName)!;
  const runId = 'rs_<new-run-id>';
  const run = { id: runId, promptId: prompt.id, modelType: 'transfer', executionConfig: params } as unknown as Run;
  const plan = transferModel.planJob({ run, prompt });
  const layout = describeJobLayout(host.remote_dir, runId);
  const gpuDevices = host.gpus.slice(0, plan.gpus(host.gpus_per_job));
  const command = buildDockerRunArgv(host, {
    name: containerNameFor('transfer', runId), runId, modelType: 'transfer', gpuDevices, logPath: layout.rel.logPath,
    modelArgs: plan.modelArgs(layout, gpuDevices.length), ...(formatEnvFile(host.env) ? { envFile: layout.abs.envFile } : {}),
  });
  return { host: hostName, spec: JSON.parse(plan.texts['spec.json']!) as Record<string, unknown>, command };
}
