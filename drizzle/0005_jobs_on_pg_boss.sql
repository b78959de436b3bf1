DROP TABLE "liftoff_cluster"."jobs" CASCADE;--> statement-breakpoint
ALTER TABLE "liftoff_cluster"."nodes" ADD COLUMN "running_job_ids" text[] DEFAULT '{}'::text[] NOT NULL;