/** Plain data shared by workflows, activities and the client; imports nothing. */
export interface PipelineTimeouts {
  heartbeat: string;
  job: string;
  retryInitial: string;
  retryMaximum: string;
}

/** Every pipeline starts from one run row the client created; follow-up runs are created by the workflow. */
export interface PipelineInput {
  runId: string;
  promptId: string;
  promptName: string;
  host: string;
  timeouts: PipelineTimeouts;
}

export interface EnhanceThenInferenceInput extends PipelineInput {
  /** Transfer parameters for the inference on the enhanced prompt. */
  inferenceParams: Record<string, unknown>;
}

export interface InferenceThenUpscaleInput extends PipelineInput {
  upscaleParams: Record<string, unknown>;
}

export interface PipelineResult { runIds: string[] }

export interface BatchInput {
  batchId: string;
  runIds: string[];
  host: string;
  timeouts: PipelineTimeouts;
}

export interface RunProgressUpdate { runId: string; stage: string; progress: number }

/** Activities signal their workflow under this name when a run's stage or percent moves on. */
export const runProgressSignalName = 'runProgress';

/** GPU jobs queue here, one queue per host, limited to the host's GPU slots. */
export const gpuTaskQueue = (host: string) => `gpu-${host}`;
/** Uploads, downloads and container stops for a host: no slot limit. */
export const hostIoTaskQueue = (host: string) => `io-${host}`;

export const jobFailureKinds = [
  'guardrail_blocked', 'out_of_memory', 'bad_input', 'container_failed', 'container_lost', 'output_invalid', 'disk_full', 'timeout',
] as const;
