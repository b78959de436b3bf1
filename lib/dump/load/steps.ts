import fs from "node:fs";
import { resealLoadedSecrets, type ResealKeys } from "./archive-secrets";
import { existingContent, tableShapes } from "../catalog";
import { ArchiveRefusal } from "../format/errors";
import type { LoadTarget } from "./target";
import type { DumpManifest, ManifestDataFile, ManifestTable } from "../format/manifest";
import { migrationsTableDdl, recordMigrationSql, type CodeMigration } from "../migrations";
import {
  archiveEntries,
  indexArchive,
  readIndexed,
  type ArchiveSource,
  type IndexedEntry,
} from "../format/read-archive";
import { setSequenceSql } from "../format/restore-sql";
import { qualified, quoteLiteral } from "../tables";
import {
  checkTally,
  missingFile,
  unlistedFile,
  type ArchiveTally,
  type VerifiedArchive,
} from "../verify/verify";

/*
 * The steps of a load, shared by the one-transaction load (load.ts) and the
 * load on several connections (load-parallel.ts).
 */

export interface LoadProgress {
  rowsDone: number;
  rowsTotal: number;
}

export interface LoadReport {
  verified: VerifiedArchive;
  /** Rows per table as the target's server stored them (see StoredRows). */
  tables: { name: string; rows: number }[];
  /** Migrations newer than the archive, applied after its data. */
  migrationsApplied: string[];
}

/** A data file as the manifest lists it, with its table. */
export interface ListedFile {
  table: ManifestTable;
  file: ManifestDataFile;
}

/** Loads one data file's stored bytes (see SequentialCopies). */
export type LoadDataFile = (listed: ListedFile, compressed: Buffer) => Promise<void>;

/** What a load works from: the verified manifest and the data files it lists. */
export interface LoadPlan {
  verified: VerifiedArchive;
  /** The manifest's bytes when they were read from the archive's end before the data. */
  tail: Buffer | null;
  byPath: Map<string, ListedFile>;
  progress: LoadProgress;
  onProgress?: (progress: LoadProgress) => void;
  /** A passphrase archive's secrets, to be stored as this instance stores them. */
  reseal?: ResealKeys;
}

/** Runs `statements` as one script (see LoadTarget.exec); nothing when there are none. */
export async function execAll(target: LoadTarget, statements: string[]): Promise<void> {
  const script = statements.filter((s) => s.trim()).join(";\n");
  if (script) await target.exec(script);
}

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
 * Every data file of the archive, in order, to `load`; the other entries are
 * tallied. Files are checked one by one as they load (see TableCopy).
 */
export async function forEachDataFile(
  source: ArchiveSource,
  plan: LoadPlan,
  tally: ArchiveTally,
  load: LoadDataFile,
): Promise<void> {
  for await (const entry of archiveEntries(source)) {
    if (entry.kind !== "data") {
      tally.other(entry);
      continue;
    }
    const listed = plan.byPath.get(entry.name);
    if (!listed) throw unlistedFile(entry.name);
    await load(listed, entry.data);
  }
}

export interface IndexedArchive {
  handle: fs.promises.FileHandle;
  entries: IndexedEntry[];
  byPath: Map<string, IndexedEntry>;
}

/**
 * Indexes the archive file and checks its data files against the manifest:
 * none unlisted, none missing. (Their contents are checked as they load.)
 */
export async function openIndexed(file: string, plan: LoadPlan): Promise<IndexedArchive> {
  const entries = await indexArchive(file);
  const byPath = new Map(entries.filter((e) => e.kind === "data").map((e) => [e.name, e]));
  for (const path of byPath.keys()) {
    if (!plan.byPath.has(path)) throw unlistedFile(path);
  }
  for (const table of plan.verified.manifest.tables) {
    for (const listed of table.files) {
      if (!byPath.has(listed.path)) throw missingFile(listed.path, table.name);
    }
  }
  return { handle: await fs.promises.open(file, "r"), entries, byPath };
}

/** The archive's entries other than data files, to the tally. */
export async function tallyOtherEntries(
  archive: IndexedArchive,
  tally: ArchiveTally,
): Promise<void> {
  for (const entry of archive.entries) {
    if (entry.kind !== "data") {
      tally.other({ ...entry, data: await readIndexed(archive.handle, entry) });
    }
  }
}

/**
 * Every data file of an indexed archive, a table at a time, to `load`; the
 * other entries are tallied. Read this way rather than in archive order
 * (where the dump's connections left tables interleaved), consecutive files
 * are one table's, which a COPY loads together.
 */
export async function forEachIndexedFile(
  archive: IndexedArchive,
  plan: LoadPlan,
  tally: ArchiveTally,
  load: LoadDataFile,
): Promise<void> {
  await tallyOtherEntries(archive, tally);
  for (const table of plan.verified.manifest.tables) {
    for (const file of table.files) {
      await load(
        { table, file },
        await readIndexed(archive.handle, archive.byPath.get(file.path)!),
      );
    }
  }
}

/**
 * Hands `items` out to `workers`, each taking the next as soon as it is
 * free. After a failure no worker takes another (`stopped` tells work under
 * way), and the failure is thrown once all work under way has ended (the
 * caller may then undo).
 */
export async function shareOut<W, T>(
  workers: W[],
  items: T[],
  work: (worker: W, item: T, stopped: () => boolean) => Promise<void>,
): Promise<void> {
  const queue = [...items];
  await eachUntilFailure(workers, async (worker, stopped) => {
    for (let next = queue.shift(); next !== undefined && !stopped(); next = queue.shift()) {
      await work(worker, next, stopped);
    }
  });
}

/**
 * Runs `work` for every worker at once. After a failure `stopped` tells the
 * others to take on nothing more, and the failure is thrown once all work
 * under way has ended (the caller may then undo).
 */
export async function eachUntilFailure<W>(
  workers: W[],
  work: (worker: W, stopped: () => boolean) => Promise<void>,
): Promise<void> {
  let failed = false;
  const stopped = () => failed;
  const results = await Promise.allSettled(
    workers.map((worker) =>
      work(worker, stopped).catch((error: unknown) => {
        failed = true;
        throw error;
      }),
    ),
  );
  const failure = results.find((r) => r.status === "rejected");
  if (failure) throw failure.reason;
}

/**
 * Rows per table as the server stored them, from its replies to the COPYs
 * ("COPY n"): each table was emptied in the transaction its COPYs ran in
 * and nothing else writes to it during the load, so they are its row count,
 * without a count(*) over every table afterwards (0.4 s of a 1 GB load).
 */
export class StoredRows {
  private readonly rows = new Map<string, number>();

  add(table: string, rows: number): void {
    this.rows.set(table, (this.rows.get(table) ?? 0) + rows);
  }

  of(table: string): number {
    return this.rows.get(table) ?? 0;
  }
}

/** Counts a loaded file's rows into the plan's progress. */
export function progressOf(plan: LoadPlan): (rows: number) => void {
  return (rows) => {
    plan.progress.rowsDone += rows;
    plan.onProgress?.({ ...plan.progress });
  };
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
