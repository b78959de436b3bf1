ALTER TABLE "cloud_migration" ADD COLUMN "after_done" text DEFAULT 'writable' NOT NULL;--> statement-breakpoint
ALTER TABLE "cloud_migration" ADD COLUMN "cloud_phase" text;--> statement-breakpoint
ALTER TABLE "cloud_migration" ADD COLUMN "cloud_queue_position" integer;--> statement-breakpoint
ALTER TABLE "cloud_migration" ADD CONSTRAINT "cloud_migration_after_done_check" CHECK ("cloud_migration"."after_done" in ('read_only', 'writable'));