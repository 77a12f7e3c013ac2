CREATE TABLE "batches" (
	"id" text PRIMARY KEY NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"options" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "prompts" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"model_type" text DEFAULT 'transfer' NOT NULL,
	"prompt_text" text NOT NULL,
	"negative_prompt" text NOT NULL,
	"inputs" jsonb NOT NULL,
	"parameters" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"content_key" text NOT NULL,
	"parent_prompt_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "run_events" (
	"id" serial PRIMARY KEY NOT NULL,
	"run_id" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"stage" text NOT NULL,
	"progress" double precision NOT NULL,
	"message" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "runs" (
	"id" text PRIMARY KEY NOT NULL,
	"prompt_id" text NOT NULL,
	"model_type" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"stage" text,
	"progress" double precision DEFAULT 0 NOT NULL,
	"execution_config" jsonb NOT NULL,
	"outputs" jsonb,
	"error_message" text,
	"failure_kind" text,
	"parent_run_id" text,
	"batch_id" text,
	"batch_index" integer,
	"workflow_id" text,
	"gpu_host" text,
	"container_name" text,
	"rating" smallint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "runs_progress_range" CHECK ("runs"."progress" >= 0 and "runs"."progress" <= 1),
	CONSTRAINT "runs_rating_range" CHECK ("runs"."rating" is null or ("runs"."rating" between 1 and 5)),
	CONSTRAINT "runs_failed_has_message" CHECK ("runs"."status" <> 'failed' or "runs"."error_message" is not null),
	CONSTRAINT "runs_terminal_has_completed_at" CHECK ("runs"."status" not in ('completed', 'failed', 'cancelled') or "runs"."completed_at" is not null)
);
--> statement-breakpoint
ALTER TABLE "run_events" ADD CONSTRAINT "run_events_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_prompt_id_prompts_id_fk" FOREIGN KEY ("prompt_id") REFERENCES "public"."prompts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_batch_id_batches_id_fk" FOREIGN KEY ("batch_id") REFERENCES "public"."batches"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "prompts_content_key_idx" ON "prompts" USING btree ("content_key");--> statement-breakpoint
CREATE INDEX "prompts_created_at_idx" ON "prompts" USING btree ("created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "run_events_dedupe_idx" ON "run_events" USING btree ("run_id","stage","message");--> statement-breakpoint
CREATE INDEX "runs_prompt_id_idx" ON "runs" USING btree ("prompt_id");--> statement-breakpoint
CREATE INDEX "runs_status_idx" ON "runs" USING btree ("status");--> statement-breakpoint
CREATE INDEX "runs_created_at_idx" ON "runs" USING btree ("created_at");