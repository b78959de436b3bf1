import fs from "node:fs";
import { createGunzip } from "node:zlib";
import type { ArchiveRestorer } from "./restorer";
import { listTarEntries } from "./tar-entries";

const dataEntry = /^data\/\d+-([a-z0-9_]+)(?:\.\d+)?\.tsv\.gz$/;

async function countCopyRows(file: string, offset: number, size: number): Promise<number> {
  if (size === 0) return 0;
  let rows = 0;
  const stream = fs
    .createReadStream(file, { start: offset, end: offset + size - 1 })
    .pipe(createGunzip());
  let tail = "";
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const lines = (tail + chunk.toString("utf8")).split("\n");
    tail = lines.pop() ?? "";
    rows += lines.filter((line) => line !== "\\.").length;
  }
  return rows + (tail && tail !== "\\." ? 1 : 0);
}

/**
 * STAND-IN, NOT A RESTORE. Until the dump loader (lib/dump) is wired in, this
 * counts the COPY rows in each `data/NNN-<table>[.K].tsv.gz` entry of the
 * archive and writes nothing to the target. It exists so the store's
 * verification, status transitions and target handling run for real.
 */
export const countArchiveRowsStandIn: ArchiveRestorer = async (archivePath) => {
  const tables: Record<string, number> = {};
  for (const entry of await listTarEntries(archivePath)) {
    const table = dataEntry.exec(entry.name)?.[1];
    if (!table) continue;
    tables[table] =
      (tables[table] ?? 0) + (await countCopyRows(archivePath, entry.offset, entry.size));
  }
  return { tables };
};
