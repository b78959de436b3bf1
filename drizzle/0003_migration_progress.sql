ALTER TABLE "cloud_migration" ADD COLUMN "store_url" text;--> statement-breakpoint
ALTER TABLE "cloud_migration" ADD COLUMN "store_token" text;--> statement-breakpoint
ALTER TABLE "cloud_migration" ADD COLUMN "owner_node" text;--> statement-breakpoint
ALTER TABLE "cloud_migration" ADD COLUMN "archive_path" text;--> statement-breakpoint
ALTER TABLE "cloud_migration" ADD COLUMN "archive_sha256" text;--> statement-breakpoint
ALTER TABLE "cloud_migration" ADD COLUMN "archive_bytes" bigint;--> statement-breakpoint
ALTER TABLE "cloud_migration" ADD COLUMN "bytes_done" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "cloud_migration" ADD COLUMN "bytes_total" bigint;--> statement-breakpoint
ALTER TABLE "cloud_migration" ADD COLUMN "throughput_bytes_per_second" bigint;--> statement-breakpoint
ALTER TABLE "cloud_migration" ADD COLUMN "eta_seconds" integer;--> statement-breakpoint
ALTER TABLE "cloud_migration" ADD COLUMN "restored_tables" jsonb;--> statement-breakpoint
ALTER TABLE "cloud_migration" ADD COLUMN "cloud_url" text;--> statement-breakpoint
ALTER TABLE "cloud_migration" ADD COLUMN "cancelled_by_id" integer;--> statement-breakpoint
ALTER TABLE "cloud_migration" ADD COLUMN "read_only_from" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "cloud_migration" ADD COLUMN "read_only_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "cloud_migration" ADD COLUMN "finished_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "cloud_migration" ADD COLUMN "version" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "cloud_migration" ADD CONSTRAINT "cloud_migration_cancelled_by_id_users_id_fk" FOREIGN KEY ("cancelled_by_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "cloud_migration_cancelled_by_idx" ON "cloud_migration" USING btree ("cancelled_by_id");