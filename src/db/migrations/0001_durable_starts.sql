ALTER TABLE "run_events" ADD COLUMN "log_seq" integer;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "container_started_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "retry_of_run_id" text;--> statement-breakpoint
CREATE UNIQUE INDEX "run_events_log_seq_idx" ON "run_events" USING btree ("run_id","log_seq");