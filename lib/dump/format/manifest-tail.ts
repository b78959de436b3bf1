import fs from "node:fs";
import { Readable } from "node:stream";
import { MAX_MANIFEST_BYTES } from "./limits";
import { readTar, TAR_END } from "./tar";

const BLOCK = 512;
/** The largest manifest, its header and padding. */
const MAX_TAIL = MAX_MANIFEST_BYTES + 2 * BLOCK;
const NAME = Buffer.from("manifest.json\0");

const padded = (size: number) => Math.ceil(size / BLOCK) * BLOCK;

/**
 * The writer makes manifest.json the archive's last entry. For an archive on
 * disk it can be read from the end without reading the rest, so the load can
 * check it, plan the schema and learn every checksum before any data is read.
 * Null when the end of the file is not what the writer leaves there: the
 * caller then reads the archive in full and says what is wrong with it.
 */
export async function manifestFromTail(file: string): Promise<Buffer | null> {
  const handle = await fs.promises.open(file, "r");
  try {
    const { size } = await handle.stat();
    if (size % BLOCK !== 0 || size < BLOCK + TAR_END.length) return null;
    const span = Math.min(size, MAX_TAIL);
    const tail = Buffer.alloc(span);
    const { bytesRead } = await handle.read(tail, 0, span, size - span);
    if (bytesRead !== span) return null;
    const end = span - TAR_END.length;
    if (!tail.subarray(end).equals(TAR_END)) return null;
    for (let at = end - BLOCK; at >= 0; at -= BLOCK) {
      const header = tail.subarray(at, at + BLOCK);
      if (!header.subarray(0, NAME.length).equals(NAME)) continue;
      if (header.subarray(257, 262).toString("latin1") !== "ustar") continue;
      const entries = [];
      try {
        for await (const entry of readTar(Readable.from([tail.subarray(at)]), MAX_TAIL))
          entries.push(entry);
      } catch {
        return null;
      }
      const [only] = entries;
      const fits = only && at + BLOCK + padded(only.data.length) === end;
      return entries.length === 1 && only?.type === "file" && fits ? only.data : null;
    }
    return null;
  } finally {
    await handle.close();
  }
}
