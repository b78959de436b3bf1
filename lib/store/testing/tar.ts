import { randomBytes } from "node:crypto";
import fs from "node:fs";
import { gzipSync } from "node:zlib";

function header(name: string, size: number): Buffer {
  const block = Buffer.alloc(512);
  block.write(name, 0, 100, "utf8");
  block.write("0000644\0", 100);
  block.write("0000000\0", 108);
  block.write("0000000\0", 116);
  block.write(size.toString(8).padStart(11, "0") + "\0", 124);
  block.write(
    Math.floor(Date.now() / 1000)
      .toString(8)
      .padStart(11, "0") + "\0",
    136,
  );
  block.write("        ", 148); // checksum is computed with its own field as spaces
  block.write("0", 156);
  block.write("ustar\0" + "00", 257);
  const checksum = block.reduce((sum, byte) => sum + byte, 0);
  block.write(checksum.toString(8).padStart(6, "0") + "\0 ", 148);
  return block;
}

/** A small dump-shaped tar (manifest + gzip'd COPY text per table) for store tests. */
export function writeTestArchive(
  file: string,
  tables: Record<string, string[]>,
  options: { fillerBytes?: number } = {},
): void {
  const entries: { name: string; data: Buffer }[] = [
    {
      name: "manifest.json",
      data: Buffer.from(JSON.stringify({ format: 1, tables: Object.keys(tables) })),
    },
  ];
  Object.entries(tables).forEach(([table, rows], i) => {
    const name = `data/${String(i + 1).padStart(3, "0")}-${table}.tsv.gz`;
    entries.push({ name, data: gzipSync(rows.map((r) => r + "\n").join("")) });
  });
  // Random bytes the stand-in restorer skips: makes the archive as large as a test needs.
  if (options.fillerBytes)
    entries.push({ name: "filler.bin", data: randomBytes(options.fillerBytes) });
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    blocks.push(header(entry.name, entry.data.length), entry.data);
    const pad = (512 - (entry.data.length % 512)) % 512;
    blocks.push(Buffer.alloc(pad));
  }
  blocks.push(Buffer.alloc(1024));
  fs.writeFileSync(file, Buffer.concat(blocks));
}
