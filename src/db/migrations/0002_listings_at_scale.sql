-- Trigram indexes below need pg_trgm (a trusted extension: the database owner may create it).
CREATE EXTENSION IF NOT EXISTS pg_trgm;--> statement-breakpoint
CREATE TABLE "run_daily_failures" (
	"day" date NOT NULL,
	"failure_kind" text NOT NULL,
	"runs" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "run_daily_failures_day_failure_kind_pk" PRIMARY KEY("day","failure_kind")
);
--> statement-breakpoint
CREATE TABLE "run_daily_host_seconds" (
	"day" date NOT NULL,
	"host" text NOT NULL,
	"seconds" double precision DEFAULT 0 NOT NULL,
	CONSTRAINT "run_daily_host_seconds_day_host_pk" PRIMARY KEY("day","host")
);
--> statement-breakpoint
CREATE TABLE "run_daily_stats" (
	"day" date NOT NULL,
	"model_type" text NOT NULL,
	"status" text NOT NULL,
	"runs" bigint DEFAULT 0 NOT NULL,
	"timed_runs" bigint DEFAULT 0 NOT NULL,
	"seconds" double precision DEFAULT 0 NOT NULL,
	CONSTRAINT "run_daily_stats_day_model_type_status_pk" PRIMARY KEY("day","model_type","status")
);
--> statement-breakpoint
DROP INDEX "prompts_created_at_idx";--> statement-breakpoint
DROP INDEX "runs_prompt_id_idx";--> statement-breakpoint
DROP INDEX "runs_status_idx";--> statement-breakpoint
DROP INDEX "runs_created_at_idx";--> statement-breakpoint
CREATE INDEX "prompts_created_at_id_idx" ON "prompts" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "prompts_model_type_created_at_idx" ON "prompts" USING btree ("model_type","created_at","id");--> statement-breakpoint
CREATE INDEX "prompts_text_trgm_idx" ON "prompts" USING gin ("prompt_text" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "prompts_name_trgm_idx" ON "prompts" USING gin ("name" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "prompts_id_trgm_idx" ON "prompts" USING gin ("id" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "runs_created_at_id_idx" ON "runs" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "runs_status_created_at_idx" ON "runs" USING btree ("status","created_at","id");--> statement-breakpoint
CREATE INDEX "runs_model_type_created_at_idx" ON "runs" USING btree ("model_type","created_at","id");--> statement-breakpoint
CREATE INDEX "runs_prompt_id_created_at_idx" ON "runs" USING btree ("prompt_id","created_at","id");--> statement-breakpoint
CREATE INDEX "runs_gpu_host_created_at_idx" ON "runs" USING btree ("gpu_host","created_at","id");--> statement-breakpoint
CREATE INDEX "runs_batch_id_idx" ON "runs" USING btree ("batch_id","batch_index");--> statement-breakpoint
CREATE INDEX "runs_workflow_id_idx" ON "runs" USING btree ("workflow_id");--> statement-breakpoint
CREATE INDEX "runs_parent_run_id_idx" ON "runs" USING btree ("parent_run_id") WHERE "runs"."parent_run_id" is not null;--> statement-breakpoint
CREATE INDEX "runs_retry_of_run_id_idx" ON "runs" USING btree ("retry_of_run_id") WHERE "runs"."retry_of_run_id" is not null;--> statement-breakpoint
CREATE INDEX "runs_completed_durations_idx" ON "runs" USING btree ("model_type","created_at","started_at","completed_at") WHERE "runs"."status" = 'completed';--> statement-breakpoint
CREATE INDEX "runs_id_trgm_idx" ON "runs" USING gin ("id" gin_trgm_ops);--> statement-breakpoint
-- Hand-written: the analytics rollups are kept by triggers on runs; a run counts on the UTC day of its created_at.
CREATE OR REPLACE FUNCTION "runs_count_in_daily_stats"(r "runs", sign integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  d date := (r.created_at AT TIME ZONE 'UTC')::date;
  secs double precision := extract(epoch FROM r.completed_at - r.started_at);
  timed boolean := r.status = 'completed' AND secs IS NOT NULL;
BEGIN
  INSERT INTO "run_daily_stats" AS s (day, model_type, status, runs, timed_runs, seconds)
  VALUES (d, r.model_type, r.status, sign, CASE WHEN timed THEN sign ELSE 0 END, CASE WHEN timed THEN sign * secs ELSE 0 END)
  ON CONFLICT (day, model_type, status) DO UPDATE
    SET runs = s.runs + excluded.runs, timed_runs = s.timed_runs + excluded.timed_runs, seconds = s.seconds + excluded.seconds;
  IF secs IS NOT NULL THEN
    INSERT INTO "run_daily_host_seconds" AS h (day, host, seconds) VALUES (d, coalesce(r.gpu_host, '(none)'), sign * secs)
    ON CONFLICT (day, host) DO UPDATE SET seconds = h.seconds + excluded.seconds;
  END IF;
  IF r.failure_kind IS NOT NULL THEN
    INSERT INTO "run_daily_failures" AS f (day, failure_kind, runs) VALUES (d, r.failure_kind, sign)
    ON CONFLICT (day, failure_kind) DO UPDATE SET runs = f.runs + excluded.runs;
  END IF;
END $$;--> statement-breakpoint
CREATE OR REPLACE FUNCTION "runs_maintain_daily_stats"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM "runs_count_in_daily_stats"(OLD, -1); END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN PERFORM "runs_count_in_daily_stats"(NEW, 1); END IF;
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER "runs_daily_stats_insert_delete" AFTER INSERT OR DELETE ON "runs"
  FOR EACH ROW EXECUTE FUNCTION "runs_maintain_daily_stats"();--> statement-breakpoint
-- Progress updates touch none of these columns, so they never reach the rollups.
CREATE TRIGGER "runs_daily_stats_update" AFTER UPDATE OF created_at, model_type, status, gpu_host, failure_kind, started_at, completed_at ON "runs"
  FOR EACH ROW WHEN (OLD.created_at IS DISTINCT FROM NEW.created_at OR OLD.model_type IS DISTINCT FROM NEW.model_type
    OR OLD.status IS DISTINCT FROM NEW.status OR OLD.gpu_host IS DISTINCT FROM NEW.gpu_host OR OLD.failure_kind IS DISTINCT FROM NEW.failure_kind
    OR OLD.started_at IS DISTINCT FROM NEW.started_at OR OLD.completed_at IS DISTINCT FROM NEW.completed_at)
  EXECUTE FUNCTION "runs_maintain_daily_stats"();--> statement-breakpoint
-- Recomputes the rollups from runs: fills them for runs that existed before this migration.
CREATE OR REPLACE FUNCTION "runs_rebuild_daily_stats"() RETURNS void LANGUAGE sql AS $$
  DELETE FROM "run_daily_stats";
  DELETE FROM "run_daily_host_seconds";
  DELETE FROM "run_daily_failures";
  INSERT INTO "run_daily_stats" (day, model_type, status, runs, timed_runs, seconds)
    SELECT (created_at AT TIME ZONE 'UTC')::date, model_type, status, count(*),
      count(*) FILTER (WHERE status = 'completed' AND completed_at IS NOT NULL AND started_at IS NOT NULL),
      coalesce(sum(extract(epoch FROM completed_at - started_at)) FILTER (WHERE status = 'completed'), 0)
    FROM "runs" GROUP BY 1, 2, 3;
  INSERT INTO "run_daily_host_seconds" (day, host, seconds)
    SELECT (created_at AT TIME ZONE 'UTC')::date, coalesce(gpu_host, '(none)'), sum(extract(epoch FROM completed_at - started_at))
    FROM "runs" WHERE completed_at IS NOT NULL AND started_at IS NOT NULL GROUP BY 1, 2;
  INSERT INTO "run_daily_failures" (day, failure_kind, runs)
    SELECT (created_at AT TIME ZONE 'UTC')::date, failure_kind, count(*) FROM "runs" WHERE failure_kind IS NOT NULL GROUP BY 1, 2;
$$;--> statement-breakpoint
SELECT "runs_rebuild_daily_stats"();
