import { sql } from "drizzle-orm";
import { boolean, check, integer, pgSchema, text, timestamp } from "drizzle-orm/pg-core";

/**
 * How the nodes of one instance coordinate: the read-only flag, the
 * scheduler's state and node heartbeats (the jobs themselves are pg-boss's,
 * in its own `pgboss` schema). A schema of its own:
 * never dumped, never guarded by read-only mode.
 */
export const cluster = pgSchema("liftoff_cluster");

const timestamptz = (name: string) => timestamp(name, { withTimezone: true });

/** The read-only flag: one row. Enforcement is the trigger in lib/read-only, present while this is on. */
export const readOnlyState = cluster.table(
  "read_only_state",
  {
    id: integer("id").primaryKey().default(1),
    enabled: boolean("enabled").notNull().default(false),
    reason: text("reason"),
    source: text("source"),
    changedById: integer("changed_by_id"),
    changedAt: timestamptz("changed_at").notNull().defaultNow(),
  },
  (t) => [check("read_only_state_single_row", sql`${t.id} = 1`)],
);

export const schedulerState = cluster.table(
  "scheduler_state",
  {
    id: integer("id").primaryKey().default(1),
    paused: boolean("paused").notNull().default(false),
    reason: text("reason"),
    changedAt: timestamptz("changed_at").notNull().defaultNow(),
  },
  (t) => [check("scheduler_state_single_row", sql`${t.id} = 1`)],
);

/** One row per server process, refreshed every few seconds. */
export const clusterNodes = cluster.table("nodes", {
  id: text("id").primaryKey(),
  host: text("host").notNull(),
  pid: integer("pid").notNull(),
  appVersion: text("app_version").notNull(),
  startedAt: timestamptz("started_at").notNull().defaultNow(),
  lastSeenAt: timestamptz("last_seen_at").notNull().defaultNow(),
  readOnly: boolean("read_only").notNull().default(false),
  schedulerPaused: boolean("scheduler_paused").notNull().default(false),
  runningJobs: integer("running_jobs").notNull().default(0),
  /**
   * The pg-boss jobs this node is running. pg-boss does not record which
   * worker holds a job; a pause needs it to tell a job that is running from
   * one left active by a node that died (pg-boss's expiry retries those).
   */
  runningJobIds: text("running_job_ids")
    .array()
    .notNull()
    .default(sql`'{}'::text[]`),
});

/**
 * Sign-in throttling (lib/auth/throttle.ts): one row per account (`account:`
 * + lower-cased email, known or not) and per client address (`address:` +
 * IP). In this schema because it is the instance's own state: a dump must not
 * carry it, and read-only mode must not stop anyone from signing in.
 */
export const signInThrottle = cluster.table("sign_in_throttle", {
  key: text("key").primaryKey(),
  /** Failures counted since `window_started_at` (address) or since the last success (account). */
  failures: integer("failures").notNull().default(0),
  windowStartedAt: timestamptz("window_started_at").notNull(),
  /** No attempt is checked before this moment. */
  blockedUntil: timestamptz("blocked_until").notNull(),
  updatedAt: timestamptz("updated_at").notNull(),
});
