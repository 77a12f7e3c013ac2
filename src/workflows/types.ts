/** Plain data shared by workflows, activities and the client; imports nothing. */
export interface PipelineTimeouts {
  heartbeat: string;
  job: string;
  retryInitial: string;
  retryMaximum: string;
}

/** A step after the first: its model type and parameters, and whether it runs on the previous run's output. */
export interface StepSpec { modelType: string; params: Record<string, unknown>; from: 'prompt' | 'run' }

/** Every pipeline starts from one run row the client created; the runs of later steps are created by the workflow. */
export interface PipelineInput {
  runId: string;
  modelType: string;
  promptId: string;
  promptName: string;
  /** `--host`: every step runs there; otherwise each job takes the first free slot on any host that serves it. */
  host?: string;
  timeouts: PipelineTimeouts;
  /** Steps after the first (enhance → transfer, transfer → upscale): each starts only when the one before completed. */
  then?: StepSpec[];
}

export interface PipelineResult { runIds: string[] }

export interface BatchInput {
  batchId: string;
  modelType: string;
  runIds: string[];
  /** The runs split into groups one container can take; one group of all when absent. */
  groups?: string[][];
  /** `--host`: every container of the batch runs there. */
  host?: string;
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
