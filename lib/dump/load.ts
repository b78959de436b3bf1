import type { DatabaseHandle } from "@/db/client";
import { existingContent, tableShapes } from "./catalog";
import { ArchiveRefusal } from "./errors";
import {
  codeMigrations,
  migrationsTableDdl,
  recordMigrationSql,
  type CodeMigration,
} from "./migrations";
import { loadDataFile } from "./load-file";
import { withoutKeysAndIndexes } from "./load-keys";
import { manifestFromTail } from "./manifest-tail";
import { archiveEntries, type ArchiveSource } from "./read-archive";
import { setSequenceSql } from "./restore-sql";
import { qualified } from "./tables";
import {
  ArchiveTally,
  checkTally,
  readManifest,
  verifyDumpArchive,
  type VerifiedArchive,
} from "./verify";
import { withLoadTransaction, type LoadTarget } from "./load-target";

export interface LoadProgress {
  rowsDone: number;
  rowsTotal: number;
}

export interface LoadOptions {
  onProgress?: (progress: LoadProgress) => void;
  /** Skips the verification pass when the caller has just run it on the same bytes. */
  verified?: VerifiedArchive;
}

export interface LoadReport {
  verified: VerifiedArchive;
  /** Rows per table as counted in the target after the load. */
  tables: { name: string; rows: number }[];
  /** Migrations newer than the archive, applied after its data. */
  migrationsApplied: string[];
}

async function applyMigrations(target: LoadTarget, migrations: CodeMigration[]): Promise<void> {
  for (const migration of migrations) {
    for (const statement of migration.statements) {
      if (statement.trim()) await target.exec(statement);
    }
    await target.exec(recordMigrationSql(migration));
  }
}

/**
 * Loads a verified archive into an empty database in one transaction: the
 * archive's schema from this code's migrations, the data, the foreign keys,
 * the sequences, then any newer migrations. Any failure rolls all of it back.
 */
export async function loadDumpArchive(
  handle: DatabaseHandle,
  source: ArchiveSource,
  options: LoadOptions = {},
): Promise<LoadReport> {
  // The manifest is the archive's last entry: read from the end of a file, it
  // lets the data be verified while it loads, in one pass. Otherwise (a
  // stream, or an end that is not what the writer leaves) the archive is
  // verified in full first.
  const tail =
    !options.verified && typeof source === "string" ? await manifestFromTail(source) : null;
  const verified =
    options.verified ??
    (tail ? readManifest(tail, codeMigrations()) : await verifyDumpArchive(source));
  const { manifest, migrations } = verified;
  const byPath = new Map(
    manifest.tables.flatMap((table) => table.files.map((file) => [file.path, { table, file }])),
  );
  const refuseIfNotEmpty = async (target: LoadTarget) => {
    const found = await existingContent(target.query);
    if (found.length > 0) {
      throw new ArchiveRefusal(
        "target_not_empty",
        `The target database is not empty (it has ${found.slice(0, 3).join(", ")}${found.length > 3 ? ", …" : ""}). Load into an empty database.`,
      );
    }
  };
  return withLoadTransaction(handle, async (target) => {
    await refuseIfNotEmpty(target);
    for (const statement of migrationsTableDdl) await target.exec(statement);
    await applyMigrations(target, migrations.before);
    const allTables = [
      ...manifest.tables.map((t) => t.name),
      ...manifest.excludedTables.map((t) => t.name),
    ];
    // Rows a migration inserted are replaced by the archive's own.
    await target.exec(`truncate ${allTables.map(qualified).join(", ")}`);
    const shapes = await tableShapes(
      target.query,
      manifest.tables.map((t) => t.name),
    );
    for (const table of manifest.tables) {
      const columns = new Set(
        shapes.find((s) => s.name === table.name)!.columns.map((c) => c.name),
      );
      const missing = table.columns.filter((c) => !columns.has(c));
      if (missing.length) {
        throw new ArchiveRefusal(
          "schema_mismatch",
          `Table ${table.name} in the archive has columns the schema at ${manifest.schema.migrationId} lacks: ${missing.join(", ")}.`,
        );
      }
    }

    const progress = { rowsDone: 0, rowsTotal: manifest.tables.reduce((n, t) => n + t.rows, 0) };
    const tally = new ArchiveTally();
    await withoutKeysAndIndexes(target, async () => {
      // Every file is checked as its rows go in (see loadDataFile); the
      // archive as a whole is checked against the manifest after the last.
      for await (const entry of archiveEntries(source)) {
        if (entry.kind !== "data") {
          tally.other(entry);
          continue;
        }
        const listed = byPath.get(entry.name);
        if (!listed)
          throw new ArchiveRefusal("malformed", `Data file ${entry.name} is not listed.`);
        const rows = await loadDataFile(target, listed.table, listed.file, entry.data, tally);
        progress.rowsDone += rows;
        options.onProgress?.({ ...progress });
      }
    });
    if (tail && !tally.manifestData?.equals(tail)) {
      throw new ArchiveRefusal("malformed", "The archive changed while it was loaded.");
    }
    checkTally(manifest, tally);
    for (const sequence of manifest.sequences) await target.exec(setSequenceSql(sequence));

    const tables = [];
    for (const table of manifest.tables) {
      const counted = await target.query(`select count(*)::text from ${qualified(table.name)}`);
      const count = counted[0]?.[0];
      if (Number(count) !== table.rows) {
        throw new ArchiveRefusal(
          "count_mismatch",
          `Table ${table.name} has ${count} rows after the load; the archive has ${table.rows}.`,
        );
      }
      tables.push({ name: table.name, rows: Number(count) });
    }
    await applyMigrations(target, migrations.after);
    return { verified, tables, migrationsApplied: migrations.after.map((m) => m.id) };
  });
}
