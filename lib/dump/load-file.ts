import zlib from "node:zlib";
import { countCopyRows } from "./copy-text";
import { ArchiveRefusal } from "./errors";
import type { LoadTarget } from "./load-target";
import type { ManifestDataFile, ManifestTable } from "./manifest";
import { checkCompressed, checkDataFile } from "./read-archive";
import type { ArchiveTally } from "./verify";

const damaged = (path: string, why: string) =>
  new ArchiveRefusal(
    "damaged",
    `Data file ${path} is damaged (${why}): the archive was altered or corrupted.`,
  );

/**
 * Decompressed pieces of this size: few enough that a piece costs little
 * (each is a thread-pool round trip and a message to the server), small
 * enough that a file of any size streams in bounded memory.
 */
const PIECE_BYTES = 1 << 20;

/**
 * Loads one data file while checking it. The stored (compressed) bytes are
 * checked against the manifest before anything reaches the database; the
 * text is then decompressed as it streams into COPY, into the table's
 * checksum (compared once the table's last file is in), and its size and row
 * count are compared once it is in. A mismatch throws, and the caller undoes
 * the load: nothing unverified is kept.
 */
export async function loadDataFile(
  target: LoadTarget,
  table: ManifestTable,
  file: ManifestDataFile,
  compressed: Buffer,
  tally: ArchiveTally,
): Promise<number> {
  const stored = await checkCompressed(file, compressed);
  const tableHash = tally.startFile(file.path);
  let bytes = 0;
  let rows = 0;
  let last = 0x0a;
  async function* text(): AsyncGenerator<Buffer> {
    const gunzip = zlib.createGunzip({ chunkSize: PIECE_BYTES });
    gunzip.end(compressed);
    try {
      for await (const piece of gunzip as AsyncIterable<Buffer>) {
        bytes += piece.length;
        if (bytes > file.bytes) throw damaged(file.path, "it holds more than the manifest says");
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
  const facts = { rows, bytes, ...stored };
  checkDataFile(file, facts);
  tally.endFile(file.path, facts);
  return rows;
}
