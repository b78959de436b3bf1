import crypto from "node:crypto";
import fs from "node:fs";
import zlib from "node:zlib";
import { dataFilePath } from "../format/manifest";
import { editManifest, entriesOf, manifestOf, tarOf } from "./archive-edit";

export interface BombArchive {
  file: string;
  size: number;
  sha256: string;
  /** The data file that inflates. */
  entry: string;
  textBytes: number;
  compressedBytes: number;
}

/**
 * A copy of the archive `base` in which one table's data is a single file
 * of one valid COPY row repeated to `textBytes`, gzipped as hard as gzip
 * goes (some 700 times), with a manifest that tells the truth about
 * it: rows, sizes, every checksum. Only a reader's own limits can refuse it.
 * The text is streamed through gzip and its digests, never held whole.
 */
export async function writeBombArchive(
  base: string,
  out: string,
  textBytes: number,
): Promise<BombArchive> {
  const entries = await entriesOf(base);
  const table = manifestOf(entries).tables.find((t) => t.name === "settings")!;
  const path = dataFilePath(table.order, table.name, 0);
  const row = Buffer.from(table.columns.map(() => "x").join("\t") + "\n");
  const rows = Math.floor(textBytes / row.length);
  const piece = Buffer.concat(
    Array.from({ length: Math.floor((1 << 20) / row.length) }, () => row),
  );
  const rowsPerPiece = piece.length / row.length;

  const textHash = crypto.createHash("sha256");
  const gzip = zlib.createGzip({ level: 9 });
  const compressed: Buffer[] = [];
  gzip.on("data", (chunk: Buffer) => compressed.push(chunk));
  const ended = new Promise<void>((resolve, reject) => gzip.on("end", resolve).on("error", reject));
  for (let left = rows; left > 0;) {
    const part = left >= rowsPerPiece ? piece : piece.subarray(0, left * row.length);
    left -= part.length / row.length;
    textHash.update(part);
    if (!gzip.write(part)) await new Promise((resolve) => gzip.once("drain", resolve));
  }
  gzip.end();
  await ended;
  const data = Buffer.concat(compressed);

  const bytes = rows * row.length;
  const withBomb = editManifest(entries, (m) => {
    const t = m.tables.find((t) => t.name === table.name)!;
    Object.assign(t, {
      rows,
      bytes,
      sha256: textHash.digest("hex"),
      files: [
        {
          path,
          rows,
          bytes,
          compressedBytes: data.length,
          compressedSha256: crypto.createHash("sha256").update(data).digest("hex"),
        },
      ],
    });
  });
  const others = withBomb.filter(
    (e) => e.name === "manifest.json" || !e.name.startsWith(path.replace(/\.0\.tsv\.gz$/, ".")),
  );
  // The writer's order: the data files, then the manifest last.
  const manifestIndex = others.findIndex((e) => e.name === "manifest.json");
  const archive = tarOf([
    ...others.slice(0, manifestIndex),
    { name: path, data },
    ...others.slice(manifestIndex),
  ]);
  fs.writeFileSync(out, archive);
  return {
    file: out,
    size: archive.length,
    sha256: crypto.createHash("sha256").update(archive).digest("hex"),
    entry: path,
    textBytes: bytes,
    compressedBytes: data.length,
  };
}
