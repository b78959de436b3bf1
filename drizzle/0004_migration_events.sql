CREATE TABLE "cloud_migration_event" (
	"migration_id" integer NOT NULL,
	"version" integer NOT NULL,
	"view" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "cloud_migration_event_migration_id_version_pk" PRIMARY KEY("migration_id","version")
);
--> statement-breakpoint
ALTER TABLE "cloud_migration_event" ADD CONSTRAINT "cloud_migration_event_migration_id_cloud_migration_id_fk" FOREIGN KEY ("migration_id") REFERENCES "public"."cloud_migration"("id") ON DELETE cascade ON UPDATE no action;