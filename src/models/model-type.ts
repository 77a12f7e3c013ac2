import type { z } from 'zod';
import type { ClassifiedFailure, FailureSignatures } from '../gpu/classify-failure.js';
import type { ContainerLaunch } from '../gpu/docker.js';
import type { GpuMemoryNeed } from '../gpu/gpu-occupancy.js';
import type { JobLayout } from '../gpu/job-layout.js';
import type { FileRef, OutputFile, Prompt, RunResult, Run } from '../db/schema.js';
import type { ModelHostSettings } from '../config.js';

/** A file the job needs on the host: content-addressed in the cache, linked into the job's inputs folder. */
export interface StagedInput { linkName: string; file: FileRef }

/** One run of a job: a single run is a job of one item, a batch a job of several. */
export interface JobItem { run: Run; prompt: Prompt; source?: Run }

/** Where one item's outputs are on the host and what it sent (kept beside its outputs). */
export interface ItemPlan {
  runId: string;
  /** Folder of this item's outputs, relative to the job's outputs folder ('' = that folder). */
  outputDir: string;
  /** Only files whose names start with this belong to the item (flat output folders); all when absent. */
  filePrefix?: string;
  /** The name a remote file gets in the run's folder (default: its own). */
  localName?(remoteName: string): string;
  /** Files kept in the run's local folder, e.g. the spec it ran with. */
  localTexts: Record<string, string>;
  /** Chunks the model samples for this item, for progress. */
  chunks: number;
}

/** Everything one container needs, built from the rows and the host's settings; no I/O. */
export interface JobPlan {
  inputs: StagedInput[];
  /** Small files written into the job's inputs folder (specs, prompt text). Prompt text lives only here. */
  texts: Record<string, string>;
  launch: ContainerLaunch;
  /** Models the job loads by Hugging Face repo id, and the host folder of that cache: when it holds them all, the
   * container runs with HF_HUB_OFFLINE=1 (no network needed, no silent download). */
  hfModels?: { cache: string; repos: string[] };
  /** Where the container's shell tees the log, as the container sees it (the job folder's run.log). */
  logPath: string;
  gpus: number;
  items: ItemPlan[];
}

export interface PlanContext {
  items: JobItem[];
  layout: JobLayout;
  /** The host's settings for this model type (image, workspace, env, mounts). */
  /** The host's settings for this model type; `mounts` include the host's own, `env` goes to the env file. */
  host: ModelHostSettings & { remoteDir: string; gpusPerJob: number };
}

export interface ItemMilestone { item: number; stage: 'starting' | 'generating'; progress: number; message: string }

/** Reads a container's log incrementally; feeding the same log from the start yields the same milestones. */
export interface ProgressTracker {
  feed(text: string): ItemMilestone[];
  currentItem(): number;
  current(): { stage: 'starting' | 'generating'; progress: number };
  /** Why the model can no longer finish the job, when its log shows that (the job is then stopped after a short silence). */
  stuck?(): string | null;
}

export type ItemOutcome =
  | { runId: string; status: 'completed' }
  | { runId: string; status: 'failed'; failure: ClassifiedFailure }
  /** The container stopped before this item: it may run in a new container after a guardrail block. */
  | { runId: string; status: 'not_run' };

export interface JobEnd {
  plan: JobPlan;
  exitCode: number;
  oomKilled: boolean;
  log: string;
  /** Names of regular files in the job's outputs folder and its item folders (`video_0/output.mp4`). */
  outputNames: string[];
}

export interface ItemResult {
  /** Roles of the item's files by name (`video`, `text`, `control`, `spec`…), for display. */
  roles: Record<string, string>;
  result?: RunResult;
  /** Text the model produced that becomes a new prompt (`<name><suffix>`), e.g. an enhanced prompt. */
  newPrompt?: { text: string; nameSuffix: string };
}

export interface ModelType<P extends Record<string, unknown> = Record<string, unknown>> {
  name: string;
  summary: string;
  /** Every parameter with its bounds; the CLI flags, the API body and OpenAPI derive from it. */
  params: z.ZodObject;
  defaults: P;
  /** Applies defaults and validates; throws a ZodError naming the field. */
  resolveParams(input: Record<string, unknown>): P;
  /** Runs start from a prompt, or from a completed run of one of these model types (e.g. an upscale). */
  startsFrom: 'prompt' | { runOf: string[] };
  /** Checks the prompt has what this model reads (inputs, text), throwing an InputError otherwise. */
  checkPrompt?(prompt: Prompt, params: P): void;
  /** Served by a host that names no model types (the image and folders of the host entry itself). */
  servedByDefault: boolean;
  /** How many runs one container can take (1: no batching). */
  maxItemsPerJob: number;
  /** Items that may share one container (same settings the model loads once for). */
  batchKey?(params: P): string;
  planJob(context: PlanContext): JobPlan;
  trackProgress(plan: JobPlan): ProgressTracker;
  /** Model-specific failure signatures on top of the common ones (OOM, signals, torchrun). */
  failures?: FailureSignatures;
  /** Per-item outcome once the container exited. */
  assessJob(end: JobEnd, classify: (exitCode: number, log: string) => ClassifiedFailure): ItemOutcome[];
  /** Checks an item's fetched files and pulls out its result; throws an output_invalid failure when they are wrong. */
  readResult(files: OutputFile[], context: { log: string; runDir: string }): Promise<ItemResult>;
  /** The longest silence in the log that is still work, for this job (`configuredMs`: [temporal] hang_timeout). */
  hangTimeoutMs?(job: { plan: JobPlan; items: JobItem[] }, configuredMs: number): number;
  /** Files `cosmos doctor` expects under the model's checkpoint folder. */
  checkpoints: string[];
  /**
   * Memory a job needs free on each of its GPUs (MiB, or a share of the card): a device with less free is not
   * chosen for it, and `cosmos doctor` reports a card too small. Unset: any free device will do.
   */
  minFreeGpuMemoryMiB?: GpuMemoryNeed;
  /** Host memory a job needs per GPU it runs on, for `cosmos doctor`. */
  hostMemoryPerGpuMiB?: number;
  /** MD5s of `checkpoints` files, where the model's own download tooling lists them (`cosmos doctor --deep`). */
  checkpointMd5?: Record<string, string>;
  /**
   * Where `checkpoints` are on the host, for `cosmos doctor`: a folder they are paths in, or a Hugging Face cache
   * (its `hub/` holds them as `models--<org>--<name>`) where each is a repo id, optionally followed by a file in it;
   * null when the host keeps none (each container fetches its own). Default: the host's `checkpoints` folder, else
   * `<workspace>/checkpoints` (`--checkpoint_dir checkpoints` in /workspace).
   */
  checkpointLocation?(host: PlanContext['host']): { kind: 'folder' | 'hf-cache'; path: string } | null;
  /**
   * Models its jobs load by Hugging Face repo id at run time (e.g. for a control computed on the fly), by what needs
   * them, and the host folder of the HF cache they resolve in (null: none is kept); `cosmos doctor` looks for them.
   */
  hfCacheModels?(host: PlanContext['host']): { cache: string | null; repos: Record<string, string[]> };
}
