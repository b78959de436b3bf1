import { openDatabase } from "@/db/client";
import { loadDumpArchive } from "@/lib/dump/load/load";
import { manifestFromTail } from "@/lib/dump/format/manifest-tail";
import { codeMigrations } from "@/lib/dump/migrations";
import { readManifest } from "@/lib/dump/verify/verify";
import { prepareDatabase } from "@/lib/runtime/database";
import type { ArchiveRestorer } from "./restorer";
import type { StoreKeys } from "./sealing-key";

/**
 * The store's restore: the dump loader verifies every checksum and loads the
 * archive into the fresh target, on PostgreSQL over two connections (the
 * restore is part of the instance's read-only window; a failure drops what
 * it created, so a retry finds the target empty again); then the target gets what
 * any Liftoff database has on start (newer migrations, the read-only guard
 * following the flag),
 * so a cloud instance can start on it as it is. Secrets sealed for the
 * store's key are opened with it and kept sealed with the cloud-copy key; an
 * archive sealed for another key is refused before anything is written.
 */
export const dumpLoaderRestorer =
  (keys: StoreKeys): ArchiveRestorer =>
  async (archivePath, target, limits) => {
    // A manifest whose claims break a limit is refused before the target is
    // opened: a new PGlite folder alone costs far more memory than the check.
    const tail = await manifestFromTail(archivePath);
    if (tail) readManifest(tail, codeMigrations(), limits);
    const handle = await openDatabase(
      target.engine === "postgres"
        ? { databaseUrl: target.url, maxConnections: 2 }
        : { pgliteDir: target.dir },
    );
    try {
      const report = await loadDumpArchive(handle, archivePath, {
        jobs: 2,
        sealingKey: keys.sealing,
        instanceKey: keys.cloudCopy,
        maxTextBytes: limits.maxTextBytes,
      });
      await prepareDatabase(handle);
      return { tables: Object.fromEntries(report.tables.map((t) => [t.name, t.rows])) };
    } finally {
      await handle.close();
    }
  };
