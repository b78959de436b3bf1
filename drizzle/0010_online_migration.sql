ALTER TABLE "cloud_migration" DROP CONSTRAINT "cloud_migration_state_check";--> statement-breakpoint
ALTER TABLE "store"."migrations" DROP CONSTRAINT "store_migrations_state_check";--> statement-breakpoint
ALTER TABLE "cloud_migration" ADD COLUMN "copy_snapshot" text;--> statement-breakpoint
ALTER TABLE "cloud_migration" ADD COLUMN "delta_round" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "store"."migrations" ADD COLUMN "awaits_delta" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "store"."migrations" ADD COLUMN "delta_round" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "cloud_migration" ADD CONSTRAINT "cloud_migration_state_check" CHECK ("cloud_migration"."state" in ('init', 'setup', 'dump', 'upload', 'sync', 'done', 'error', 'cancelled'));--> statement-breakpoint
ALTER TABLE "store"."migrations" ADD CONSTRAINT "store_migrations_state_check" CHECK ("store"."migrations"."state" in ('awaiting_upload', 'received', 'verifying', 'restoring', 'restored', 'failed', 'aborted', 'base_restored'));