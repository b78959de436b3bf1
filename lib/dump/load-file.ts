import crypto from "node:crypto";
import zlib from "node:zlib";
import { countCopyRows } from "./copy-text";
import { ArchiveRefusal } from "./errors";
import type { LoadTarget } from "./load-target";
import type { DumpManifest, ManifestTable } from "./manifest";
import { checkDataFile, sha256 } from "./read-archive";
import type { ArchiveTally } from "./verify";

type ManifestFile = DumpManifest["tables"][number]["files"][number];

const damaged = (path: string, why: string) =>
  new ArchiveRefusal(
    "damaged",
    `Data file ${path} is damaged (${why}): the archive was altered or corrupted.`,
  );

/**
 * Loads one data file while checking it. The stored (compressed) bytes are
 * checked against the manifest before anything reaches the database; the
 * text is then decompressed as it streams into COPY and its size, checksum
 * and row count are compared once it is in. A mismatch throws, and the
 * caller's transaction rolls the rows back: nothing unverified is committed.
 */
export async function loadDataFile(
  target: LoadTarget,
  table: ManifestTable,
  file: ManifestFile,
  compressed: Buffer,
  tally: ArchiveTally,
): Promise<number> {
  const stored = { compressedBytes: compressed.length, compressedSha256: sha256(compressed) };
  if (
    stored.compressedBytes !== file.compressedBytes ||
    stored.compressedSha256 !== file.compressedSha256
  ) {
    throw new ArchiveRefusal(
      "damaged",
      `Data file ${file.path} does not match its checksum in the manifest: the archive was altered or corrupted.`,
    );
  }
  const tableHash = tally.startFile(file.path);
  const hash = crypto.createHash("sha256");
  let bytes = 0;
  let rows = 0;
  let last = 0x0a;
  async function* text(): AsyncGenerator<Buffer> {
    const gunzip = zlib.createGunzip({ chunkSize: 256 << 10 });
    gunzip.end(compressed);
    try {
      for await (const piece of gunzip as AsyncIterable<Buffer>) {
        bytes += piece.length;
        if (bytes > file.bytes) throw damaged(file.path, "it holds more than the manifest says");
        hash.update(piece);
        tableHash.update(piece);
        rows += countCopyRows(piece);
        last = piece[piece.length - 1]!;
        yield piece;
      }
    } catch (error) {
      if (error instanceof ArchiveRefusal) throw error;
      throw damaged(file.path, (error as Error).message);
    } finally {
      gunzip.destroy();
    }
  }
  await target.copyIn(table.name, table.columns, text());
  if (last !== 0x0a) {
    throw new ArchiveRefusal(
      "malformed",
      `Data file ${file.path} does not end with a complete row.`,
    );
  }
  const facts = { rows, bytes, sha256: hash.digest("hex"), ...stored };
  checkDataFile(file, facts);
  tally.endFile(file.path, facts);
  return rows;
}
