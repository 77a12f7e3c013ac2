ALTER TABLE "gpu_host_controls" ADD COLUMN "not_ready" jsonb;--> statement-breakpoint
ALTER TABLE "gpu_host_controls" ADD COLUMN "readiness_checked_at" timestamp with time zone;