/** Plain data shared by workflows, activities and the client; imports nothing. */
export interface PipelineTimeouts {
  heartbeat: string;
  job: string;
  retryInitial: string;
  retryMaximum: string;
}

export interface InferenceInput {
  runId: string;
  promptId: string;
  promptName: string;
  host: string;
  timeouts: PipelineTimeouts;
}

export interface InferenceResult {
  runId: string;
  outputDir: string;
  video: string;
}

export const gpuTaskQueue = (host: string) => `gpu-${host}`;

export const jobFailureKinds = [
  'guardrail_blocked', 'out_of_memory', 'bad_input', 'container_failed', 'output_invalid', 'timeout',
] as const;
