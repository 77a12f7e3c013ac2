import { sql } from 'drizzle-orm';
import {
  check, doublePrecision, index, integer, jsonb, pgTable, serial, smallint, text, timestamp, uniqueIndex,
} from 'drizzle-orm/pg-core';

export const runStatuses = ['pending', 'running', 'completed', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof runStatuses)[number];

export const runStages = ['queued', 'uploading', 'starting', 'generating', 'downloading', 'verifying'] as const;
export type RunStage = (typeof runStages)[number];

export const failureKinds = [
  'guardrail_blocked', 'out_of_memory', 'bad_input', 'gpu_host_unreachable', 'container_failed', 'container_lost',
  'output_invalid', 'disk_full', 'timeout', 'cancelled', 'internal',
] as const;
export type FailureKind = (typeof failureKinds)[number];

export interface FileRef { path: string; sha256: string; bytes: number }
export interface VideoRef extends FileRef { width: number; height: number; frames: number; fps: number }
export interface PromptInputs { video: VideoRef; depth?: VideoRef; seg?: VideoRef }

export interface OutputFile extends FileRef { name: string }
export interface RunOutputs {
  files: OutputFile[];
  runDir: string;
  logPath?: string;
  upload?: { bytesSent: number; filesSent: number; filesReused: number };
  video?: { width: number; height: number; frames: number; fps: number };
  enhancedText?: string;
  /** On an enhance run: the prompt it created from the upsampled text. */
  enhancedPromptId?: string;
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
  index('prompts_created_at_idx').on(t.createdAt),
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
  ...timestamps,
  startedAt: timestamp('started_at', { withTimezone: true }),
  completedAt: timestamp('completed_at', { withTimezone: true }),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  index('runs_prompt_id_idx').on(t.promptId),
  index('runs_status_idx').on(t.status),
  index('runs_created_at_idx').on(t.createdAt),
  check('runs_progress_range', sql`${t.progress} >= 0 and ${t.progress} <= 1`),
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

export type Prompt = typeof prompts.$inferSelect;
export type NewPrompt = typeof prompts.$inferInsert;
export type Run = typeof runs.$inferSelect;
export type NewRun = typeof runs.$inferInsert;
export type RunEvent = typeof runEvents.$inferSelect;
export type Batch = typeof batches.$inferSelect;
