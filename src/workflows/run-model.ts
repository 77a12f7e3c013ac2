import { ApplicationFailure, upsertSearchAttributes, uuid4, workflowInfo } from '@temporalio/workflow';
import type { RunOutputs } from '../db/schema.js';
import { records } from './activity-proxies.js';
import { runJob } from './job.js';
import { driveRuns, openWork, showDetails, type OpenWork } from './pipeline.js';
import { CosmosModelType, CosmosRunId } from './search-attributes.js';
import type { BatchInput, PipelineInput, PipelineResult } from './types.js';

// Later steps are activities in this workflow rather than child workflows: the history reads as the step list, a
// cancel reaches whichever step is running, and each run row records this workflow as its driver. Their run ids
// come from uuid4(), which is replay-safe, so a retried insert finds the same row.
const nextRunId = () => `rs_${uuid4().replaceAll('-', '')}`;

/** One run of any model type, then the steps after it, each on what the one before produced. */
export async function runModel(input: PipelineInput): Promise<PipelineResult> {
  const current = { runId: input.runId, modelType: input.modelType };
  const work: OpenWork = openWork(input.host, input.timeouts, [input.runId], (text) => showDetails(text, `${current.modelType} run \`${current.runId}\``, work.host));
  return driveRuns(work, async () => {
    const runIds = [input.runId];
    let outputs = await runStep(work, current.runId, current.modelType);
    for (const step of input.then ?? []) {
      const runId = nextRunId();
      // A model that writes a new prompt (enhance) hands it on; one that writes a video hands on its run.
      const promptId = outputs.result?.kind === 'text' && outputs.result.promptId ? outputs.result.promptId : input.promptId;
      await records.createFollowUpRun({
        id: runId, promptId, modelType: step.modelType, executionConfig: step.params, workflowId: workflowInfo().workflowId, ...(input.host ? { gpuHost: input.host } : {}),
        ...(step.from === 'run' ? { parentRunId: current.runId } : {}),
      });
      Object.assign(current, { runId, modelType: step.modelType });
      work.runIds.add(runId);
      runIds.push(runId);
      outputs = await runStep(work, runId, step.modelType);
    }
    return { runIds };
  });
}

/** A job of one: its outputs, or its failure raised so the pipeline stops there. */
async function runStep(work: OpenWork, runId: string, modelType: string): Promise<RunOutputs> {
  upsertSearchAttributes([{ key: CosmosRunId, value: runId }, { key: CosmosModelType, value: modelType }]);
  const { completed, failed } = await runJob(work, modelType, [runId], () => runId);
  const outputs = completed.get(runId);
  if (outputs) return outputs;
  const failure = failed.get(runId) ?? { kind: 'internal', message: `run ${runId} ended without outputs` };
  throw ApplicationFailure.nonRetryable(failure.message, failure.kind);
}

/**
 * N runs of one model type in as few containers as the model allows (the model loads once). Each run is settled
 * as it ends; the batch's status follows from its runs.
 */
export async function runBatch(input: BatchInput): Promise<PipelineResult> {
  const { batchId } = input;
  const work: OpenWork = openWork(input.host, input.timeouts, input.runIds, (text) => showDetails(text, `batch \`${batchId}\` of ${input.runIds.length}`, work.host));
  return driveRuns(work, async () => {
    // Groups are runs the model can take in one container (same settings, at most its batch size); containers are numbered across them.
    let containers = 0;
    for (const group of input.groups ?? [input.runIds]) await runJob(work, input.modelType, group, () => `${batchId}-${++containers}`, batchId);
    return { runIds: input.runIds };
  }, () => records.settleBatch({ batchId }));
}
