import { setCurrentDetails, upsertSearchAttributes, workflowInfo, type ActivityOptions } from '@temporalio/workflow';
import type { RunOutputs } from '../db/schema.js';
import { hostActivities, records } from './activity-proxies.js';
import { CosmosModelType, CosmosRunId } from './search-attributes.js';
import type { PipelineTimeouts } from './types.js';

export interface StepTarget { runId: string; modelType: string; host: string; timeouts: PipelineTimeouts }

/** A call-site label for the Web UI timeline; every other option comes from the proxy. */
export const summary = (text: string) => ({ summary: text }) as ActivityOptions;

export function showStep(target: Pick<StepTarget, 'runId' | 'modelType' | 'host'>, text: string): void {
  setCurrentDetails(`**${text}** · ${target.modelType} run \`${target.runId}\` on \`${target.host}\``);
}

/** One GPU job: upload → wait for a GPU slot → start or attach the container and follow it → download and verify. */
export async function runGpuStep(target: StepTarget): Promise<RunOutputs> {
  const { runId, host } = target;
  const { io, gpu } = hostActivities(host, target.timeouts);
  upsertSearchAttributes([{ key: CosmosRunId, value: runId }, { key: CosmosModelType, value: target.modelType }]);
  await records.markRunStarted({ runId, host, workflowId: workflowInfo().workflowId });
  showStep(target, 'uploading inputs');
  const upload = await io.uploadRunInputs.executeWithOptions(summary(`upload inputs of ${runId} to ${host}`), [{ runId, host }]);
  await records.markRunQueued({ runId });
  showStep(target, 'queued for a GPU');
  await gpu.runContainer.executeWithOptions(summary(`${target.modelType} container for ${runId} on ${host}`), [{ runId, host }]);
  showStep(target, 'downloading outputs');
  const outputs = await io.downloadRunOutputs.executeWithOptions(summary(`download and verify outputs of ${runId}`), [{ runId, host }]);
  return { ...outputs, upload };
}
