CREATE TABLE "gpu_host_controls" (
	"host" text PRIMARY KEY NOT NULL,
	"paused" boolean DEFAULT false NOT NULL,
	"drained" boolean DEFAULT false NOT NULL,
	"unreachable_since" timestamp with time zone,
	"unreachable_error" text,
	"blocked" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "gpu_jobs" (
	"job_key" text PRIMARY KEY NOT NULL,
	"model_type" text NOT NULL,
	"run_ids" jsonb NOT NULL,
	"workflow_id" text,
	"priority" integer DEFAULT 0 NOT NULL,
	"candidates" jsonb NOT NULL,
	"enqueued_at" timestamp with time zone DEFAULT now() NOT NULL,
	"waiting_for" text,
	"host" text,
	"devices" jsonb,
	"leased_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "gpu_leased_devices" (
	"host" text NOT NULL,
	"device" integer NOT NULL,
	"job_key" text NOT NULL,
	CONSTRAINT "gpu_leased_devices_host_device_pk" PRIMARY KEY("host","device")
);
--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "priority" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "gpu_leased_devices" ADD CONSTRAINT "gpu_leased_devices_job_key_gpu_jobs_job_key_fk" FOREIGN KEY ("job_key") REFERENCES "public"."gpu_jobs"("job_key") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "gpu_jobs_waiting_idx" ON "gpu_jobs" USING btree ("priority","enqueued_at") WHERE "gpu_jobs"."host" is null;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_priority_range" CHECK ("runs"."priority" between -100 and 100);--> statement-breakpoint
-- A run that waits for a GPU slot is `queued` now, not `running` with stage `queued`.
UPDATE "runs" SET "status" = 'queued' WHERE "status" = 'running' AND "stage" = 'queued';
