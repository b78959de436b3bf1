import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgSchema,
  text,
  timestamp,
} from "drizzle-orm/pg-core";
import { createdAt, updatedAt } from "./columns";

/**
 * The store's (cloud side's) tables live in a schema of their own: `npm start`
 * runs instance and store in one database, and the dump and the read-only
 * guard only ever look at `public`.
 */
export const storeSchema = pgSchema("store");

/**
 * Migration keys: who may open migrations on this store. Only the SHA-256 of
 * a key is kept; `displayPrefix` (its first characters, not secret enough to
 * matter) finds the row and lets people tell keys apart. The limits are the
 * key's own, copied from the store's defaults when it is issued.
 */
export const storeMigrationKeys = storeSchema.table(
  "migration_keys",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    label: text("label").notNull(),
    keyHash: text("key_hash").notNull().unique(),
    displayPrefix: text("display_prefix").notNull(),
    maxOpenMigrations: integer("max_open_migrations").notNull(),
    maxBytes: bigint("max_bytes", { mode: "number" }).notNull(),
    createdAt: createdAt(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [index("store_migration_keys_prefix_idx").on(t.displayPrefix)],
);

export type StoreMigrationKey = typeof storeMigrationKeys.$inferSelect;

export const storeMigrationStates = [
  "awaiting_upload",
  "received",
  "verifying",
  "restoring",
  "restored",
  "failed",
  "aborted",
  // A base copy restored while the instance kept working: deltas follow, and
  // the final one makes it `restored`.
  "base_restored",
] as const;
export type StoreMigrationState = (typeof storeMigrationStates)[number];

export const storeMigrations = storeSchema.table(
  "migrations",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    externalId: text("external_id").notNull().unique(),
    instanceId: text("instance_id").notNull(),
    // The key that opened it; null for migrations from before keys existed.
    keyId: bigint("key_id", { mode: "number" }).references(() => storeMigrationKeys.id),
    appVersion: text("app_version").notNull(),
    schemaMigrationId: text("schema_migration_id").notNull(),
    // Only the SHA-256 of the bearer token is kept; the token itself is shown once.
    tokenHash: text("token_hash").notNull().unique(),
    tokenExpiresAt: timestamp("token_expires_at", { withTimezone: true }).notNull(),
    objectKey: text("object_key").notNull(),
    state: text("state", { enum: storeMigrationStates }).notNull().default("awaiting_upload"),
    uploadId: text("upload_id"),
    uploadSize: bigint("upload_size", { mode: "number" }),
    partSize: bigint("part_size", { mode: "number" }),
    partCount: integer("part_count"),
    declaredSha256: text("declared_sha256"),
    declaredSize: bigint("declared_size", { mode: "number" }),
    tableCounts: jsonb("table_counts").$type<Record<string, number>>(),
    // The archive is a base: deltas follow it (see lib/store/delta.ts).
    awaitsDelta: boolean("awaits_delta").notNull().default(false),
    // The last delta applied to the copy (0: none yet).
    deltaRound: integer("delta_round").notNull().default(0),
    targetDatabase: text("target_database"),
    failureReason: text("failure_reason"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    check(
      "store_migrations_state_check",
      sql`${t.state} in ('awaiting_upload', 'received', 'verifying', 'restoring', 'restored', 'failed', 'aborted', 'base_restored')`,
    ),
    index("store_migrations_instance_idx").on(t.instanceId),
    index("store_migrations_key_idx").on(t.keyId),
  ],
);

export type StoreMigration = typeof storeMigrations.$inferSelect;
