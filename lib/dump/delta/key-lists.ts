import crypto from "node:crypto";
import { promisify } from "node:util";
import zlib from "node:zlib";
import type { TextQuery } from "../catalog";
import { renderCopyRows } from "../format/copy-text";
import { dataFilePath, KEY_LIST_ORDER_OFFSET, type ManifestTable } from "../format/manifest";
import type { ArchiveWriter } from "../write/archive-writer";
import { changedKeysSql, type KeyColumn } from "./capture";

const gzip = promisify(zlib.gzip);
const sha256 = (data: Buffer) => crypto.createHash("sha256").update(data).digest("hex");

/** Keys fetched per query: bounds the memory a key list takes while it is written. */
const keysPerRead = 50_000;

/**
 * Writes, for each table of a delta, the list of keys changed since `since`
 * as COPY text of the key columns, in data files of about `chunkBytes`. The
 * store deletes these keys before it inserts the delta's rows: a key whose
 * row is gone is a delete, one whose row is in the delta an upsert, one
 * renamed both. Keys are read in key order, in pages, so a long list is
 * never held whole.
 */
export async function writeKeyLists(
  query: TextQuery,
  archive: ArchiveWriter,
  options: {
    tables: ManifestTable[];
    keyColumns: Map<string, KeyColumn[]>;
    since: string;
    chunkBytes: number;
    compressionLevel: number;
  },
): Promise<ManifestTable[]> {
  const lists: ManifestTable[] = [];
  for (const table of options.tables) {
    const key = options.keyColumns.get(table.name)!;
    const order = KEY_LIST_ORDER_OFFSET + table.order;
    const list: ManifestTable = {
      name: table.name,
      order,
      columns: key.map((k) => k.name),
      primaryKey: key.map((k) => k.name),
      rows: 0,
      bytes: 0,
      sha256: "",
      files: [],
    };
    const tableHash = crypto.createHash("sha256");
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let pendingRows = 0;
    const flush = async () => {
      if (pendingRows === 0) return;
      const text = Buffer.concat(pending);
      const compressed = await gzip(text, { level: options.compressionLevel });
      const path = dataFilePath(order, table.name, list.files.length);
      list.files.push({
        path,
        rows: pendingRows,
        bytes: text.length,
        compressedBytes: compressed.length,
        compressedSha256: sha256(compressed),
      });
      await archive.entry(path, compressed);
      pending = [];
      pendingBytes = 0;
      pendingRows = 0;
    };
    const ordered = key.map((_, i) => String(i + 1)).join(", ");
    for (let offset = 0; ; offset += keysPerRead) {
      const rows = await query(
        `${changedKeysSql(table.name, key, options.since, { asText: true })} order by ${ordered} limit ${keysPerRead} offset ${offset}`,
      );
      if (rows.length === 0) break;
      const text = renderCopyRows(rows);
      tableHash.update(text);
      list.rows += rows.length;
      list.bytes += text.length;
      pending.push(text);
      pendingBytes += text.length;
      pendingRows += rows.length;
      if (pendingBytes >= options.chunkBytes) await flush();
      if (rows.length < keysPerRead) break;
    }
    await flush();
    list.sha256 = tableHash.digest("hex");
    lists.push(list);
  }
  return lists;
}
