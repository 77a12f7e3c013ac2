import type { FileRef, Prompt, Run } from '../db/schema.js';
import type { ModelArg } from '../gpu/docker.js';
import type { JobLayout } from '../gpu/job-layout.js';

/** A file the job needs on the host: content-addressed in the cache, linked into the job's inputs folder. */
export interface StagedInput { linkName: string; file: FileRef }

/** What one model type needs to run one GPU job; built from the run's rows, no I/O. */
export interface JobPlan {
  inputs: StagedInput[];
  /** Small text files written into the job's inputs folder (spec.json, prompt.txt). Prompt text lives only here. */
  texts: Record<string, string>;
  /** torchrun's script and its arguments; paths relative to /workspace. */
  modelArgs(layout: JobLayout, gpus: number): ModelArg[];
  /** How many GPUs the job runs on (the upsampler is single-process). */
  gpus(available: number): number;
  /** 121-frame chunks the model will sample, for progress. */
  chunks: number;
  /** The video the job must produce, or null when its result is text in the log. */
  primaryOutput: string | null;
}

export interface JobContext { run: Run; prompt: Prompt; source?: Run }

export interface ModelType {
  name: string;
  planJob(context: JobContext): JobPlan;
}
