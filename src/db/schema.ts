import { sql } from 'drizzle-orm';
import {
  bigint, boolean, check, date, doublePrecision, index, integer, jsonb, pgTable, primaryKey, serial, smallint, text, timestamp, uniqueIndex,
} from 'drizzle-orm/pg-core';

/** pending: written, no workflow step yet · queued: waiting for a GPU slot · running: holds a slot (upload, GPU, download). */
export const runStatuses = ['pending', 'queued', 'running', 'completed', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof runStatuses)[number];
/** Statuses of a run that has not ended. */
export const openRunStatuses = ['pending', 'queued', 'running'] as const satisfies readonly RunStatus[];
export const isOpenRunStatus = (status: string) => (openRunStatuses as readonly string[]).includes(status);

export const runStages = ['queued', 'uploading', 'starting', 'generating', 'downloading', 'verifying'] as const;
export type RunStage = (typeof runStages)[number];

export const failureKinds = [
  'guardrail_blocked', 'out_of_memory', 'bad_input', 'gpu_host_unreachable', 'container_failed', 'container_lost',
  'output_invalid', 'disk_full', 'timeout', 'cancelled', 'internal',
] as const;
export type FailureKind = (typeof failureKinds)[number];

export interface FileRef { path: string; sha256: string; bytes: number }
export interface VideoRef extends FileRef {
  width: number; height: number; frames: number; fps: number;
  /** Its first frame as a JPEG, made when the prompt was registered (absent without ffmpeg). */
  poster?: FileRef;
}
export interface PromptInputs { video: VideoRef; depth?: VideoRef; seg?: VideoRef }

export interface OutputFile extends FileRef {
  name: string;
  /** What the file is to the model that wrote it (`video`, `text`, `control`, `spec`, `log`, `poster`…), for display. */
  role?: string;
}

/** What a run produced, in one shape for every model type; `file` names the output it was read from. */
export type RunResult =
  | { kind: 'video'; file: string; width: number; height: number; frames: number; fps: number }
  | { kind: 'text'; text: string; file?: string; /** The prompt made from the text (an enhanced prompt). */ promptId?: string }
  | { kind: 'json'; file: string; value: unknown };

export interface RunOutputs {
  files: OutputFile[];
  runDir: string;
  logPath?: string;
  upload?: { bytesSent: number; filesSent: number; filesReused: number };
  result?: RunResult;
}

const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
};

export const prompts = pgTable('prompts', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  modelType: text('model_type').notNull().default('transfer'),
  promptText: text('prompt_text').notNull(),
  negativePrompt: text('negative_prompt').notNull(),
  inputs: jsonb('inputs').$type<PromptInputs>().notNull(),
  parameters: jsonb('parameters').$type<Record<string, unknown>>().notNull().default({}),
  // sha256 over text + input hashes: creating the same prompt twice returns the first one.
  contentKey: text('content_key').notNull(),
  parentPromptId: text('parent_prompt_id'),
  ...timestamps,
}, (t) => [
  uniqueIndex('prompts_content_key_idx').on(t.contentKey),
  // Listings read newest first and page by (created_at, id); each filter has its own ordered index.
  index('prompts_created_at_id_idx').on(t.createdAt, t.id),
  index('prompts_model_type_created_at_idx').on(t.modelType, t.createdAt, t.id),
  // Substring search (ILIKE '%…%') through trigrams; needs the pg_trgm extension.
  index('prompts_text_trgm_idx').using('gin', t.promptText.op('gin_trgm_ops')),
  index('prompts_name_trgm_idx').using('gin', t.name.op('gin_trgm_ops')),
  index('prompts_id_trgm_idx').using('gin', t.id.op('gin_trgm_ops')),
]);

export const batches = pgTable('batches', {
  id: text('id').primaryKey(),
  status: text('status').$type<RunStatus>().notNull().default('pending'),
  options: jsonb('options').$type<Record<string, unknown>>().notNull().default({}),
  ...timestamps,
});

export const runs = pgTable('runs', {
  id: text('id').primaryKey(),
  promptId: text('prompt_id').notNull().references(() => prompts.id),
  modelType: text('model_type').notNull(),
  status: text('status').$type<RunStatus>().notNull().default('pending'),
  stage: text('stage').$type<RunStage>(),
  progress: doublePrecision('progress').notNull().default(0),
  executionConfig: jsonb('execution_config').$type<Record<string, unknown>>().notNull(),
  outputs: jsonb('outputs').$type<RunOutputs>(),
  errorMessage: text('error_message'),
  failureKind: text('failure_kind').$type<FailureKind>(),
  parentRunId: text('parent_run_id'),
  batchId: text('batch_id').references(() => batches.id),
  batchIndex: integer('batch_index'),
  workflowId: text('workflow_id'),
  gpuHost: text('gpu_host'),
  containerName: text('container_name'),
  // Set just before `docker run`: from then on an absent container means lost, never "not started yet".
  containerStartedAt: timestamp('container_started_at', { withTimezone: true }),
  /** The failed or cancelled run this one retries (`cosmos retry`). */
  retryOfRunId: text('retry_of_run_id'),
  rating: smallint('rating'),
  /** Higher goes first in the GPU queue; equal priorities go in submission order. */
  priority: integer('priority').notNull().default(0),
  ...timestamps,
  startedAt: timestamp('started_at', { withTimezone: true }),
  completedAt: timestamp('completed_at', { withTimezone: true }),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  index('runs_created_at_id_idx').on(t.createdAt, t.id),
  index('runs_status_created_at_idx').on(t.status, t.createdAt, t.id),
  index('runs_model_type_created_at_idx').on(t.modelType, t.createdAt, t.id),
  index('runs_prompt_id_created_at_idx').on(t.promptId, t.createdAt, t.id),
  index('runs_gpu_host_created_at_idx').on(t.gpuHost, t.createdAt, t.id),
  index('runs_batch_id_idx').on(t.batchId, t.batchIndex),
  index('runs_workflow_id_idx').on(t.workflowId),
  index('runs_parent_run_id_idx').on(t.parentRunId).where(sql`${t.parentRunId} is not null`),
  index('runs_retry_of_run_id_idx').on(t.retryOfRunId).where(sql`${t.retryOfRunId} is not null`),
  // The median duration of analytics reads the newest completed runs of a model type from this index alone.
  index('runs_completed_durations_idx').on(t.modelType, t.createdAt, t.startedAt, t.completedAt).where(sql`${t.status} = 'completed'`),
  index('runs_id_trgm_idx').using('gin', t.id.op('gin_trgm_ops')),
  check('runs_progress_range', sql`${t.progress} >= 0 and ${t.progress} <= 1`),
  check('runs_priority_range', sql`${t.priority} between -100 and 100`),
  check('runs_rating_range', sql`${t.rating} is null or (${t.rating} between 1 and 5)`),
  check('runs_failed_has_message', sql`${t.status} <> 'failed' or ${t.errorMessage} is not null`),
  check('runs_terminal_has_completed_at',
    sql`${t.status} not in ('completed', 'failed', 'cancelled') or ${t.completedAt} is not null`),
]);

export const runEvents = pgTable('run_events', {
  id: serial('id').primaryKey(),
  runId: text('run_id').notNull().references(() => runs.id, { onDelete: 'cascade' }),
  at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  stage: text('stage').notNull(),
  progress: doublePrecision('progress').notNull(),
  message: text('message').notNull(),
  /** The milestone's position among those read from the run's container log (its key); null for other events. */
  logSeq: integer('log_seq'),
}, (t) => [
  // Re-attaching after a crash replays the same milestones; these keys keep them from being recorded twice.
  uniqueIndex('run_events_dedupe_idx').on(t.runId, t.stage, t.message),
  uniqueIndex('run_events_log_seq_idx').on(t.runId, t.logSeq),
]);

/**
 * Analytics rollups, one row per UTC day of `runs.created_at` and key, kept by a trigger on `runs` (migration
 * 0002) so that a year of analytics reads a few thousand rows instead of every run.
 */
export const runDailyStats = pgTable('run_daily_stats', {
  day: date('day').notNull(),
  modelType: text('model_type').notNull(),
  status: text('status').$type<RunStatus>().notNull(),
  runs: bigint('runs', { mode: 'number' }).notNull().default(0),
  /** Completed runs with both timestamps, and the sum of their started_at → completed_at seconds. */
  timedRuns: bigint('timed_runs', { mode: 'number' }).notNull().default(0),
  seconds: doublePrecision('seconds').notNull().default(0),
}, (t) => [primaryKey({ columns: [t.day, t.modelType, t.status] })]);

/** Seconds finished runs (completed_at set) held their host; runs still open are added at query time. */
export const runDailyHostSeconds = pgTable('run_daily_host_seconds', {
  day: date('day').notNull(),
  host: text('host').notNull(),
  seconds: doublePrecision('seconds').notNull().default(0),
}, (t) => [primaryKey({ columns: [t.day, t.host] })]);

export const runDailyFailures = pgTable('run_daily_failures', {
  day: date('day').notNull(),
  failureKind: text('failure_kind').notNull(),
  runs: bigint('runs', { mode: 'number' }).notNull().default(0),
}, (t) => [primaryKey({ columns: [t.day, t.failureKind] })]);

/**
 * The GPU queue: one row per job (a run, or a batch segment) from the moment it waits for a slot until its container
 * has exited. `host` and `devices` are set when a slot is granted (the lease); the row is deleted on release.
 */
export const gpuJobs = pgTable('gpu_jobs', {
  jobKey: text('job_key').primaryKey(),
  modelType: text('model_type').notNull(),
  runIds: jsonb('run_ids').$type<string[]>().notNull(),
  workflowId: text('workflow_id'),
  priority: integer('priority').notNull().default(0),
  /** Hosts that can serve the job, in configuration order, each with the GPUs the job takes there. */
  candidates: jsonb('candidates').$type<Array<{ host: string; gpus: number }>>().notNull(),
  enqueuedAt: timestamp('enqueued_at', { withTimezone: true }).notNull().defaultNow(),
  /** Why a waiting job has no slot yet, as of the last scheduling pass. */
  waitingFor: text('waiting_for'),
  host: text('host'),
  devices: jsonb('devices').$type<number[]>(),
  leasedAt: timestamp('leased_at', { withTimezone: true }),
}, (t) => [index('gpu_jobs_waiting_idx').on(t.priority, t.enqueuedAt).where(sql`${t.host} is null`)]);

/** One row per leased device: the primary key is what makes a double-booked GPU impossible, whatever the workers do. */
export const gpuLeasedDevices = pgTable('gpu_leased_devices', {
  host: text('host').notNull(),
  device: integer('device').notNull(),
  jobKey: text('job_key').notNull().references(() => gpuJobs.jobKey, { onDelete: 'cascade' }),
}, (t) => [primaryKey({ columns: [t.host, t.device] })]);

/**
 * What operators set on a host (`*`: the whole queue) and what the scheduler learnt about it: paused (no new
 * leases), drained (no new leases until undrained), unreachable since, and devices found busy with work not ours.
 */
/** Why a host takes no work: `host` for every model type, `models` for some (model type → what is missing). */
export interface HostNotReady { host: string | null; models: Record<string, string> }

export const gpuHostControls = pgTable('gpu_host_controls', {
  host: text('host').primaryKey(),
  paused: boolean('paused').notNull().default(false),
  drained: boolean('drained').notNull().default(false),
  unreachableSince: timestamp('unreachable_since', { withTimezone: true }),
  unreachableError: text('unreachable_error'),
  /**
   * What the fast readiness checks found that stops work there (a missing image, checkpoints, Docker, disk), for the
   * whole host or per model type; null when nothing does. A host not ready for a model type takes none of its jobs.
   */
  notReady: jsonb('not_ready').$type<HostNotReady | null>(),
  readinessCheckedAt: timestamp('readiness_checked_at', { withTimezone: true }),
  /** Devices to leave alone until the time given (ms since the epoch), with the reason, e.g. a foreign process. */
  blocked: jsonb('blocked').$type<Array<{ device: number; until: number; reason: string }>>().notNull().default([]),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

export type Prompt = typeof prompts.$inferSelect;
export type NewPrompt = typeof prompts.$inferInsert;
export type Run = typeof runs.$inferSelect;
export type NewRun = typeof runs.$inferInsert;
export type RunEvent = typeof runEvents.$inferSelect;
export type Batch = typeof batches.$inferSelect;
export type GpuJob = typeof gpuJobs.$inferSelect;
export type GpuHostControl = typeof gpuHostControls.$inferSelect;
