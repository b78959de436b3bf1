CREATE TABLE "store"."migration_keys" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "store"."migration_keys_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"label" text NOT NULL,
	"key_hash" text NOT NULL,
	"display_prefix" text NOT NULL,
	"max_open_migrations" integer NOT NULL,
	"max_bytes" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "migration_keys_key_hash_unique" UNIQUE("key_hash")
);
--> statement-breakpoint
ALTER TABLE "store"."migrations" ADD COLUMN "key_id" bigint;--> statement-breakpoint
CREATE INDEX "store_migration_keys_prefix_idx" ON "store"."migration_keys" USING btree ("display_prefix");--> statement-breakpoint
ALTER TABLE "store"."migrations" ADD CONSTRAINT "migrations_key_id_migration_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "store"."migration_keys"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "store_migrations_key_idx" ON "store"."migrations" USING btree ("key_id");