CREATE SCHEMA "liftoff_cluster";
--> statement-breakpoint
CREATE TABLE "dashboard_usage" (
	"dashboard_id" integer NOT NULL,
	"day" date NOT NULL,
	"views" integer NOT NULL,
	"viewers" integer NOT NULL,
	CONSTRAINT "dashboard_usage_dashboard_id_day_pk" PRIMARY KEY("dashboard_id","day")
);
--> statement-breakpoint
CREATE TABLE "report_snapshots" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "report_snapshots_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"kind" text NOT NULL,
	"body" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "liftoff_cluster"."nodes" (
	"id" text PRIMARY KEY NOT NULL,
	"host" text NOT NULL,
	"pid" integer NOT NULL,
	"app_version" text NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"read_only" boolean DEFAULT false NOT NULL,
	"scheduler_paused" boolean DEFAULT false NOT NULL,
	"running_jobs" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "liftoff_cluster"."read_only_state" (
	"id" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"enabled" boolean DEFAULT false NOT NULL,
	"reason" text,
	"source" text,
	"changed_by_id" integer,
	"changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "read_only_state_single_row" CHECK ("liftoff_cluster"."read_only_state"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE "liftoff_cluster"."jobs" (
	"name" text PRIMARY KEY NOT NULL,
	"interval_seconds" integer NOT NULL,
	"next_run_at" timestamp with time zone DEFAULT now() NOT NULL,
	"running_node" text,
	"running_since" timestamp with time zone,
	"last_started_at" timestamp with time zone,
	"last_finished_at" timestamp with time zone,
	"last_duration_ms" integer,
	"last_error" text,
	"run_count" integer DEFAULT 0 NOT NULL,
	"failure_count" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "liftoff_cluster"."scheduler_state" (
	"id" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"paused" boolean DEFAULT false NOT NULL,
	"reason" text,
	"changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "scheduler_state_single_row" CHECK ("liftoff_cluster"."scheduler_state"."id" = 1)
);
--> statement-breakpoint
ALTER TABLE "dashboard_usage" ADD CONSTRAINT "dashboard_usage_dashboard_id_dashboards_id_fk" FOREIGN KEY ("dashboard_id") REFERENCES "public"."dashboards"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "report_snapshots_created_at_idx" ON "report_snapshots" USING btree ("created_at");--> statement-breakpoint
INSERT INTO "liftoff_cluster"."read_only_state" ("id") VALUES (1) ON CONFLICT DO NOTHING;--> statement-breakpoint
INSERT INTO "liftoff_cluster"."scheduler_state" ("id") VALUES (1) ON CONFLICT DO NOTHING;
