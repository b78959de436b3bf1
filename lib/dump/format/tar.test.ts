import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { tarOf as tarOfEntries, type Entry } from "../testing/archive-edit";
import { tempDir } from "../testing/fixtures";
import { indexTar, readTar, TAR_END, TarFormatError } from "./tar";

const tarOf = (entries: Entry[]) => tarOfEntries(entries, new Date("2025-01-01T00:00:00Z"));

async function readAll(bytes: Buffer, pieces = 7) {
  const chunks = Array.from({ length: pieces }, (_, i) =>
    bytes.subarray(
      Math.floor((i * bytes.length) / pieces),
      Math.floor(((i + 1) * bytes.length) / pieces),
    ),
  );
  const out = [];
  for await (const e of readTar(Readable.from(chunks), 1 << 20))
    out.push({ name: e.name, data: e.data });
  return out;
}

describe("tar", () => {
  it("reads back what it writes, however the stream is cut", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 1500 }), { maxLength: 5 }),
        fc.integer({ min: 1, max: 40 }),
        async (bodies, pieces) => {
          const entries = bodies.map((b, i) => ({
            name: `data/00${i}-t.0.tsv.gz`,
            data: Buffer.from(b),
          }));
          expect(await readAll(tarOf(entries), pieces)).toEqual(entries);
        },
      ),
    );
  });

  it("is readable by GNU tar, and reads GNU tar's archives", async () => {
    const dir = tempDir();
    const file = path.join(dir, "a.tar");
    fs.writeFileSync(file, tarOf([{ name: "manifest.json", data: Buffer.from("{}\n") }]));
    expect(execFileSync("tar", ["-tf", file]).toString()).toBe("manifest.json\n");
    expect(execFileSync("tar", ["-xOf", file, "manifest.json"]).toString()).toBe("{}\n");
    fs.mkdirSync(path.join(dir, "src"));
    fs.writeFileSync(path.join(dir, "src", "schema.sql"), "select 1;\n");
    execFileSync("tar", [
      "--format=ustar",
      "-cf",
      path.join(dir, "gnu.tar"),
      "-C",
      path.join(dir, "src"),
      "schema.sql",
    ]);
    expect(await readAll(fs.readFileSync(path.join(dir, "gnu.tar")))).toEqual([
      { name: "schema.sql", data: Buffer.from("select 1;\n") },
    ]);
  });

  it("refuses truncation, corrupt headers, oversized and non-file entries", async () => {
    const bytes = tarOf([{ name: "schema.sql", data: Buffer.alloc(700, 1) }]);
    await expect(readAll(bytes.subarray(0, 900))).rejects.toMatchObject({ code: "truncated" });
    await expect(readAll(bytes.subarray(0, 1536))).rejects.toMatchObject({ code: "truncated" });
    const corrupt = Buffer.from(bytes);
    corrupt[10] = 0x41;
    await expect(readAll(corrupt)).rejects.toThrow(/checksum does not match/);
    const link = Buffer.from(bytes);
    link[156] = 0x32; // symlink
    link.write("        ", 148, "ascii");
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += link[i]!;
    link.write(sum.toString(8).padStart(7, "0") + "\0", 148, "ascii");
    await expect(readAll(link)).rejects.toThrow(/not a regular file/);
    const chunks = [bytes];
    await expect(
      (async () => {
        for await (const e of readTar(Readable.from(chunks), 100)) void e;
      })(),
    ).rejects.toBeInstanceOf(TarFormatError);
  });

  it("indexes a file's entries where readTar reads them, and refuses a truncated one", async () => {
    const entries = [
      { name: "a.txt", data: Buffer.from("first") },
      { name: "empty", data: Buffer.alloc(0) },
      { name: "b.bin", data: Buffer.alloc(1300, 7) },
    ];
    const dir = tempDir();
    const file = path.join(dir, "x.tar");
    const bytes = tarOf(entries);
    fs.writeFileSync(file, bytes);
    const index = await indexTar(file, 1 << 20);
    expect(index.map((e) => [e.name, e.type, e.size])).toEqual(
      entries.map((e) => [e.name, "file", e.data.length]),
    );
    for (const [i, e] of index.entries()) {
      expect(bytes.subarray(e.offset, e.offset + e.size).equals(entries[i]!.data)).toBe(true);
    }
    // Cut inside the last body, and where the end marker should be.
    for (const cut of [index[2]!.offset + 100, bytes.length - TAR_END.length]) {
      fs.writeFileSync(file, bytes.subarray(0, cut));
      await expect(indexTar(file, 1 << 20)).rejects.toMatchObject({ code: "truncated" });
    }
    await expect(indexTar(file, 1000)).rejects.toThrow(TarFormatError);
  });
});
