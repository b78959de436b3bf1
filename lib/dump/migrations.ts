import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { migrationsFolder } from "@/db/client";
import { ArchiveRefusal } from "./format/errors";
import type { ManifestMigration } from "./format/manifest";

/**
 * The schema of an archive is named by its last applied Drizzle migration.
 * Loading rebuilds that schema from this code's own committed migration files
 * (never by running SQL that came inside an archive), records them the way
 * drizzle's migrator does, and then applies the newer ones, so an older
 * archive lands on the current schema.
 */
export interface CodeMigration extends ManifestMigration {
  /** The file as committed: its statements run as one script (drizzle's breakpoints are comments). */
  sql: string;
}

const journalSchema = (raw: unknown) =>
  (raw as { entries: { tag: string; when: number }[] }).entries;

export function codeMigrations(folder = migrationsFolder): CodeMigration[] {
  const journal = journalSchema(
    JSON.parse(fs.readFileSync(path.join(folder, "meta", "_journal.json"), "utf8")),
  );
  return journal.map((entry) => {
    const sql = fs.readFileSync(path.join(folder, `${entry.tag}.sql`), "utf8");
    return {
      id: entry.tag,
      // drizzle's migrator hashes the file the same way; the rows it reads back must match.
      hash: crypto.createHash("sha256").update(sql).digest("hex"),
      createdAt: entry.when,
      sql,
    };
  });
}

export const migrationsTableDdl = [
  `CREATE SCHEMA IF NOT EXISTS "drizzle"`,
  `CREATE TABLE IF NOT EXISTS "drizzle"."__drizzle_migrations" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)`,
];

export function recordMigrationSql(migration: ManifestMigration): string {
  return `INSERT INTO "drizzle"."__drizzle_migrations" ("hash", "created_at") VALUES ('${migration.hash}', ${migration.createdAt})`;
}

/** Maps the rows of `drizzle.__drizzle_migrations` to this code's migrations. */
export function identifyApplied(
  rows: { hash: string; createdAt: number }[],
  known: CodeMigration[] = codeMigrations(),
): CodeMigration[] {
  if (rows.length === 0)
    throw new Error("The database has no applied migrations: nothing to dump.");
  return rows.map((row) => {
    const match = known.find((m) => m.createdAt === row.createdAt && m.hash === row.hash);
    if (!match) {
      throw new Error(
        `The database has a migration this code does not know (created_at ${row.createdAt}). Run the version of Liftoff that migrated it.`,
      );
    }
    return match;
  });
}

/** schema.sql: the DDL at that migration id, plus the migration records a later migrator relies on. */
export function schemaSql(applied: CodeMigration[]): string {
  const parts = [
    `-- Liftoff schema at migration ${applied.at(-1)?.id}: the committed Drizzle migrations, in order.`,
  ];
  for (const migration of applied) {
    parts.push(`-- migration ${migration.id}`, migration.sql.trimEnd() + "\n");
  }
  parts.push(
    "-- Drizzle's migration records, so the app's migrator applies only newer migrations.",
    ...migrationsTableDdl.map((s) => s + ";"),
    ...applied.map((m) => recordMigrationSql(m) + ";"),
  );
  return parts.join("\n") + "\n";
}

/**
 * Checks an archive's migrations against this code's: same ids and hashes in
 * the same order. Returns the migrations to apply before the data (the
 * archive's) and after it (the newer ones).
 */
export function planMigrations(
  archive: ManifestMigration[],
  known: CodeMigration[] = codeMigrations(),
): { before: CodeMigration[]; after: CodeMigration[] } {
  const newest = known.at(-1);
  archive.forEach((migration, i) => {
    const mine = known[i];
    if (!mine || (newest && migration.createdAt > newest.createdAt)) {
      throw new ArchiveRefusal(
        "newer_schema",
        `The archive is from a newer schema (migration ${archive.at(-1)?.id}) than this version of Liftoff knows (${newest?.id ?? "none"}). Upgrade Liftoff, then load it.`,
      );
    }
    if (mine.id !== migration.id || mine.hash !== migration.hash) {
      throw new ArchiveRefusal(
        "unknown_schema",
        `The archive's migration ${migration.id} does not match this code's migration ${mine.id}: it comes from a different codebase.`,
      );
    }
  });
  return { before: known.slice(0, archive.length), after: known.slice(archive.length) };
}
