import {
  ApplicationFailure, CancellationScope, isCancellation, setCurrentDetails, upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import { hostActivities, records } from './activity-proxies.js';
import { summary } from './gpu-step.js';
import { describeFailure } from './pipeline.js';
import { showProgressInDetails } from './progress.js';
import { CosmosStatus } from './search-attributes.js';
import type { BatchInput, PipelineResult } from './types.js';

/**
 * N prompts in one container (the model loads once). A guardrail block ends a real batch run at that item: the
 * finished items are kept, the blocked one is marked `guardrail_blocked`, and the rest run in a new container.
 */
export async function batchInference(input: BatchInput): Promise<PipelineResult> {
  const { batchId, host } = input;
  const { io, gpu, control } = hostActivities(host, input.timeouts);
  let remaining = [...input.runIds];
  let segment = 0;
  let containerName: string | null = null;
  const show = (text: string) => setCurrentDetails(`**${text}** · batch \`${batchId}\` of ${input.runIds.length} on \`${host}\``);
  showProgressInDetails(host);
  try {
    upsertSearchAttributes([{ key: CosmosStatus, value: 'running' }]);
    await records.markBatchStarted({ batchId, runIds: input.runIds, host, workflowId: workflowInfo().workflowId });
    while (remaining.length > 0) {
      segment += 1;
      const part = { batchId, jobKey: `${batchId}-${segment}`, runIds: remaining, host };
      containerName = `cosmos-transfer-${part.jobKey}`;
      show(`container ${segment}: uploading ${remaining.length} item(s)`);
      await io.uploadBatchInputs.executeWithOptions(summary(`upload inputs of ${part.jobKey} to ${host}`), [part]);
      show(`container ${segment}: generating`);
      const result = await gpu.runBatchContainer.executeWithOptions(summary(`batch container ${containerName} on ${host}`), [part]);
      show(`container ${segment}: downloading ${result.completed} item(s)`);
      const outputs = await io.downloadBatchOutputs.executeWithOptions(summary(`download ${result.completed} item(s) of ${part.jobKey}`), [{ ...part, count: result.completed }]);
      for (const [i, runOutputs] of outputs.entries()) await records.recordRunCompleted({ runId: remaining[i]!, outputs: runOutputs });
      if (!result.failure) break;
      const failedRunId = remaining[result.completed];
      if (!failedRunId) break;
      await records.recordRunFailed({ runId: failedRunId, kind: result.failure.kind, message: result.failure.message });
      const rest = remaining.slice(result.completed + 1);
      if (result.failure.kind !== 'guardrail_blocked') {
        // Anything but a guardrail block would hit the next items too; they are reported, not retried blindly.
        for (const runId of rest) {
          await records.recordRunFailed({ runId, kind: result.failure.kind, message: `not run: the batch container stopped at an earlier item (${result.failure.kind})` });
        }
        break;
      }
      remaining = rest;
    }
  } catch (error) {
    const open = remaining;
    if (isCancellation(error)) {
      await CancellationScope.nonCancellable(async () => {
        if (containerName) await control.stopRunContainer({ runId: batchId, host, modelType: 'transfer', containerName });
        for (const runId of open) await records.recordRunFailed({ runId, kind: 'cancelled', message: 'cancelled by the user' });
        await records.settleBatch({ batchId });
        upsertSearchAttributes([{ key: CosmosStatus, value: 'cancelled' }]);
        show('cancelled');
      });
      throw error;
    }
    const { kind, message } = describeFailure(error);
    for (const runId of open) await records.recordRunFailed({ runId, kind, message });
    await records.settleBatch({ batchId });
    upsertSearchAttributes([{ key: CosmosStatus, value: 'failed' }]);
    show(`failed: ${kind}`);
    throw ApplicationFailure.nonRetryable(message, kind);
  }
  const status = await records.settleBatch({ batchId });
  upsertSearchAttributes([{ key: CosmosStatus, value: status }]);
  show(status);
  return { runIds: input.runIds };
}
