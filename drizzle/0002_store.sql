CREATE SCHEMA "store";
--> statement-breakpoint
CREATE TABLE "cloud_migration_part" (
	"migration_id" integer NOT NULL,
	"part_number" integer NOT NULL,
	"etag" text NOT NULL,
	"size" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "cloud_migration_part_migration_id_part_number_pk" PRIMARY KEY("migration_id","part_number"),
	CONSTRAINT "cloud_migration_part_number_check" CHECK ("cloud_migration_part"."part_number" between 1 and 10000)
);
--> statement-breakpoint
CREATE TABLE "cloud_migration_upload" (
	"migration_id" integer PRIMARY KEY NOT NULL,
	"upload_id" text NOT NULL,
	"archive_sha256" text NOT NULL,
	"archive_size" bigint NOT NULL,
	"part_size" bigint NOT NULL,
	"part_count" integer NOT NULL,
	"completed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "store"."migrations" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "store"."migrations_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"external_id" text NOT NULL,
	"instance_id" text NOT NULL,
	"app_version" text NOT NULL,
	"schema_migration_id" text NOT NULL,
	"token_hash" text NOT NULL,
	"token_expires_at" timestamp with time zone NOT NULL,
	"object_key" text NOT NULL,
	"state" text DEFAULT 'awaiting_upload' NOT NULL,
	"upload_id" text,
	"upload_size" bigint,
	"part_size" bigint,
	"part_count" integer,
	"declared_sha256" text,
	"declared_size" bigint,
	"table_counts" jsonb,
	"target_database" text,
	"failure_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "migrations_external_id_unique" UNIQUE("external_id"),
	CONSTRAINT "migrations_token_hash_unique" UNIQUE("token_hash"),
	CONSTRAINT "store_migrations_state_check" CHECK ("store"."migrations"."state" in ('awaiting_upload', 'received', 'verifying', 'restoring', 'restored', 'failed', 'aborted'))
);
--> statement-breakpoint
ALTER TABLE "cloud_migration_part" ADD CONSTRAINT "cloud_migration_part_migration_id_cloud_migration_id_fk" FOREIGN KEY ("migration_id") REFERENCES "public"."cloud_migration"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cloud_migration_upload" ADD CONSTRAINT "cloud_migration_upload_migration_id_cloud_migration_id_fk" FOREIGN KEY ("migration_id") REFERENCES "public"."cloud_migration"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "store_migrations_instance_idx" ON "store"."migrations" USING btree ("instance_id");