import { existingContent, tableShapes } from "../catalog";
import { ArchiveRefusal } from "../format/errors";
import type { DumpManifest } from "../format/manifest";
import { setSequenceSql } from "../format/restore-sql";
import { migrationsTableDdl, recordMigrationSql, type CodeMigration } from "../migrations";
import { qualified, quoteLiteral } from "../tables";
import { checkTally, type ArchiveTally, type VerifiedArchive } from "../verify/verify";
import { resealLoadedSecrets } from "./archive-secrets";
import type { LoadPlan, LoadReport } from "./plan";
import type { StoredRows } from "./progress";
import { execAll, type LoadTarget } from "./target";

/*
 * What a load does to its target before the data (an empty database gets
 * the archive's schema) and after it (checks, secrets, sequences, newer
 * migrations), whichever way the data goes in.
 */

/** Runs each migration's file as one script, and records it unless `record` is false. */
async function applyMigrations(
  target: LoadTarget,
  migrations: CodeMigration[],
  record = true,
): Promise<void> {
  for (const migration of migrations) {
    await execAll(target, [migration.sql, ...(record ? [recordMigrationSql(migration)] : [])]);
  }
}

/**
 * Refuses a target that is not empty, then creates the archive's schema from
 * this code's migrations and checks that it holds every archived column.
 * `record: false` leaves the migrations unrecorded, so that the app will not
 * start on the database until `finishTarget` records them.
 */
export async function prepareTarget(
  target: LoadTarget,
  manifest: DumpManifest,
  migrations: VerifiedArchive["migrations"],
  { record }: { record: boolean },
): Promise<void> {
  const found = await existingContent(target.query);
  if (found.length > 0) {
    throw new ArchiveRefusal(
      "target_not_empty",
      `The target database is not empty (it has ${found.slice(0, 3).join(", ")}${found.length > 3 ? ", …" : ""}). Load into an empty database.`,
    );
  }
  await execAll(target, migrationsTableDdl);
  await applyMigrations(target, migrations.before, record);
  const allTables = [
    ...manifest.tables.map((t) => t.name),
    ...manifest.excludedTables.map((t) => t.name),
  ];
  // Rows a migration inserted are replaced by the archive's own. Only tables
  // that have any are emptied: a truncate of every table took a quarter of
  // the schema step (new files for each table and index).
  const filled = await target.query(
    allTables
      .map((t) => `select ${quoteLiteral(t)} where exists (select from ${qualified(t)})`)
      .join(" union all "),
  );
  if (filled.length) {
    // Cascade: tables that reference them go too (their keys are still on).
    await target.exec(`truncate ${filled.map((r) => qualified(r[0]!)).join(", ")} cascade`);
  }
  const shapes = await tableShapes(
    target.query,
    manifest.tables.map((t) => t.name),
  );
  for (const table of manifest.tables) {
    const columns = new Set(shapes.find((s) => s.name === table.name)!.columns.map((c) => c.name));
    const missing = table.columns.filter((c) => !columns.has(c));
    if (missing.length) {
      throw new ArchiveRefusal(
        "schema_mismatch",
        `Table ${table.name} in the archive has columns the schema at ${manifest.schema.migrationId} lacks: ${missing.join(", ")}.`,
      );
    }
  }
}

/**
 * After the data: the archive as a whole against its manifest, the rows
 * stored against the manifest's counts, the sequences, and any newer
 * migrations.
 */
export async function finishTarget(
  target: LoadTarget,
  plan: LoadPlan,
  tally: ArchiveTally,
  stored: StoredRows,
  { recordBefore }: { recordBefore: boolean },
): Promise<LoadReport> {
  const { manifest, migrations } = plan.verified;
  if (plan.tail && !tally.manifestData?.equals(plan.tail)) {
    throw new ArchiveRefusal("malformed", "The archive changed while it was loaded.");
  }
  checkTally(manifest, tally);
  const tables = manifest.tables.map((table) => {
    const rows = stored.of(table.name);
    if (rows !== table.rows) {
      throw new ArchiveRefusal(
        "count_mismatch",
        `Table ${table.name} has ${rows} rows after the load; the archive has ${table.rows}.`,
      );
    }
    return { name: table.name, rows };
  });
  if (plan.reseal) await resealLoadedSecrets(target, plan.reseal);
  await execAll(target, [
    ...manifest.sequences.map(setSequenceSql),
    ...(recordBefore ? migrations.before.map(recordMigrationSql) : []),
  ]);
  await applyMigrations(target, migrations.after);
  return {
    verified: plan.verified,
    tables,
    migrationsApplied: migrations.after.map((m) => m.id),
  };
}
