import fs from "node:fs";
import {
  archiveEntries,
  indexArchive,
  readIndexed,
  type ArchiveSource,
  type IndexedEntry,
} from "../format/read-archive";
import { missingFile, unlistedFile, type ArchiveTally } from "../verify/verify";
import type { LoadDataFile, LoadPlan } from "./plan";

/*
 * How a load reads the archive's data files: in archive order from a stream,
 * or from an indexed archive file, a table at a time.
 */

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
