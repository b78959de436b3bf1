import { sql } from "drizzle-orm";
import {
  bigint,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { createdAt, updatedAt } from "./columns";
import { afterDoneChoices, migrationStates } from "./migration-states";
import { users } from "./users";

export * from "./migration-states";

/** One row per "Migrate to Cloud" attempt; the row is the single source of truth. */
export const cloudMigration = pgTable(
  "cloud_migration",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    externalId: text("external_id"),
    state: text("state", { enum: migrationStates }).notNull().default("init"),
    progress: integer("progress").notNull().default(0),
    uploadUrl: text("upload_url"),
    error: text("error"),
    startedById: integer("started_by_id").references(() => users.id, { onDelete: "set null" }),
    /** The store this migration talks to, and its migration token (sealed like any secret). */
    storeUrl: text("store_url"),
    storeToken: text("store_token"),
    /**
     * The store's public sealing key (base64), as it published it at create:
     * the archive's secrets are sealed for it, a resumed run included.
     */
    storeSealingKey: text("store_sealing_key"),
    /** The node running it; another node takes over only when this one is gone. */
    ownerNode: text("owner_node"),
    archivePath: text("archive_path"),
    archiveSha256: text("archive_sha256"),
    archiveBytes: bigint("archive_bytes", { mode: "number" }),
    /** Of the current phase: rows' bytes while dumping, archive bytes while uploading. */
    bytesDone: bigint("bytes_done", { mode: "number" }).notNull().default(0),
    bytesTotal: bigint("bytes_total", { mode: "number" }),
    throughputBytesPerSecond: bigint("throughput_bytes_per_second", { mode: "number" }),
    etaSeconds: integer("eta_seconds"),
    /** Per-table row counts the store restored. */
    restoredTables: jsonb("restored_tables").$type<Record<string, number>>(),
    cloudUrl: text("cloud_url"),
    /** The cut-over the admin chose (see afterDoneChoices); older rows went on working. */
    afterDone: text("after_done", { enum: afterDoneChoices }).notNull().default("writable"),
    /**
     * After the upload, what the store says it is doing (received, queued,
     * verifying, restoring) and, while queued, its place in line.
     */
    cloudPhase: text("cloud_phase"),
    cloudQueuePosition: integer("cloud_queue_position"),
    cancelledById: integer("cancelled_by_id").references(() => users.id, { onDelete: "set null" }),
    /**
     * The snapshot (`txid_current_snapshot()`) of the last copy the cloud
     * holds: the base's, then each delta's. The next delta carries what
     * changed in transactions it did not see.
     */
    copySnapshot: text("copy_snapshot"),
    /** Deltas the cloud has applied. */
    deltaRound: integer("delta_round").notNull().default(0),
    readOnlyFrom: timestamp("read_only_from", { withTimezone: true }),
    readOnlyUntil: timestamp("read_only_until", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
    /** Bumped on every change: the id of the progress event that announces it. */
    version: integer("version").notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    check(
      "cloud_migration_state_check",
      sql`${t.state} in ('init', 'setup', 'dump', 'upload', 'sync', 'done', 'error', 'cancelled')`,
    ),
    check("cloud_migration_progress_check", sql`${t.progress} between 0 and 100`),
    check("cloud_migration_after_done_check", sql`${t.afterDone} in ('read_only', 'writable')`),
    // At most one migration that is not finished, enforced by the database
    // rather than by a read-then-write in the app.
    uniqueIndex("cloud_migration_one_active_idx")
      .on(sql`(true)`)
      .where(sql`${t.state} not in ('done', 'error', 'cancelled')`),
    index("cloud_migration_started_by_idx").on(t.startedById),
    index("cloud_migration_cancelled_by_idx").on(t.cancelledById),
  ],
);

/**
 * The multipart upload of a migration's archive, kept so that a restart
 * continues it: valid only while the archive still has this checksum.
 */
export const cloudMigrationUpload = pgTable("cloud_migration_upload", {
  migrationId: integer("migration_id")
    .primaryKey()
    .references(() => cloudMigration.id, { onDelete: "cascade" }),
  uploadId: text("upload_id").notNull(),
  archiveSha256: text("archive_sha256").notNull(),
  archiveSize: bigint("archive_size", { mode: "number" }).notNull(),
  partSize: bigint("part_size", { mode: "number" }).notNull(),
  partCount: integer("part_count").notNull(),
  // Set once the storage assembled the parts: a restart then only declares it uploaded.
  completedAt: timestamp("completed_at", { withTimezone: true }),
  createdAt: createdAt(),
});

/** Every part the storage acknowledged; written before the part counts as done. */
export const cloudMigrationPart = pgTable(
  "cloud_migration_part",
  {
    migrationId: integer("migration_id")
      .notNull()
      .references(() => cloudMigration.id, { onDelete: "cascade" }),
    partNumber: integer("part_number").notNull(),
    etag: text("etag").notNull(),
    size: bigint("size", { mode: "number" }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.migrationId, t.partNumber] }),
    check("cloud_migration_part_number_check", sql`${t.partNumber} between 1 and 10000`),
  ],
);

/**
 * Every change of a migration as the page saw it, in order: the progress
 * stream replays what a late or reconnecting client missed (Last-Event-ID).
 */
export const cloudMigrationEvent = pgTable(
  "cloud_migration_event",
  {
    migrationId: integer("migration_id")
      .notNull()
      .references(() => cloudMigration.id, { onDelete: "cascade" }),
    version: integer("version").notNull(),
    view: jsonb("view").$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.migrationId, t.version] })],
);
