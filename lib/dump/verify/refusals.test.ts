import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { users } from "@/db/schema";
import { createTestDatabase, type TestDatabase } from "@/lib/testing/engines";
import { ArchiveRefusal } from "../format/errors";
import { loadDumpArchive } from "../load/load";
import { withLoadTransaction } from "../load/target";
import { editManifest, entriesOf, manifestOf, tarOf, type Entry } from "../testing/archive-edit";
import {
  dataset,
  dumpToFile,
  expectTargetUntouched,
  insertDataset,
  loadCases,
  tempDir,
} from "../testing/fixtures";
import { verifyDumpArchive } from "./verify";

describe.each(loadCases())("archive refusals [$engine, jobs $jobs]", ({ engine, jobs }) => {
  let source: TestDatabase;
  const dir = tempDir();
  const good = path.join(dir, "good.tar");
  let entries: Entry[];
  beforeAll(async () => {
    source = await createTestDatabase(engine);
    await insertDataset(source, fc.sample(dataset, { numRuns: 1, seed: 42 })[0]!);
    await dumpToFile(source, good, { chunkBytes: 64, batchRows: 2 });
    entries = await entriesOf(good);
  });
  afterAll(async () => {
    await source.drop();
  });

  async function expectRefused(
    bytes: Buffer,
    code: string,
    message: RegExp,
    setUpTarget?: (target: TestDatabase) => Promise<void>,
  ) {
    const file = path.join(dir, `${code}.tar`);
    fs.writeFileSync(file, bytes);
    const target = await createTestDatabase(engine, { migrate: false });
    try {
      await setUpTarget?.(target);
      const error = await loadDumpArchive(target, file, { jobs }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ArchiveRefusal);
      expect((error as ArchiveRefusal).code).toBe(code);
      expect((error as ArchiveRefusal).message).toMatch(message);
      // Untouched: not a table, not a migration record.
      await expectTargetUntouched(target);
    } finally {
      await target.drop();
    }
  }

  it("accepts the archive as written", async () => {
    const { manifest } = await verifyDumpArchive(good);
    expect(manifest.tables.some((t) => t.files.length > 1)).toBe(true);
  });

  it("refuses a flipped byte in a data file", async () => {
    const index = entries.findIndex((e) => e.name.startsWith("data/") && e.data.length > 40);
    const flipped = entries.map((e, i) => {
      if (i !== index) return e;
      const data = Buffer.from(e.data);
      data[Math.floor(data.length / 2)]! ^= 0x01;
      return { ...e, data };
    });
    await expectRefused(
      tarOf(flipped),
      "damaged",
      /Data file data\/.* (is damaged|does not match its checksum)/,
    );
  });

  it("refuses a truncated archive", async () => {
    const bytes = fs.readFileSync(good);
    await expectRefused(
      bytes.subarray(0, Math.floor(bytes.length * 0.6)),
      "truncated",
      /truncated/,
    );
  });

  it("refuses a manifest that lies about row counts", async () => {
    const lying = editManifest(entries, (m) => {
      const table = m.tables.find((t) => t.files.length > 0)!;
      table.rows += 1;
      table.files[0]!.rows += 1;
    });
    await expectRefused(
      tarOf(lying),
      "count_mismatch",
      /The manifest says .* holds \d+ rows, but it holds \d+/,
    );
  });

  it("refuses COPY's end-of-data marker in the data, in every checksum as it is", async () => {
    // A consistent archive whose text holds a line "\.": the server would
    // store only the rows before it, while every checksum and count in the
    // manifest (newlines counted) still holds. Verify refuses it too.
    const original = entries.find((e) => e.name === "manifest.json")!;
    const table = manifestOf(entries).tables.find(
      (t) => t.files.length > 1 && t.files[0]!.rows > 1,
    )!.name;
    const texts = new Map<string, Buffer>();
    const ended = entries.map((e) => {
      if (!e.name.startsWith("data/") || !e.name.includes(`-${table}.`)) return e;
      let text = zlib.gunzipSync(e.data);
      if (e.name.endsWith(".0.tsv.gz")) {
        const firstRow = text.indexOf(0x0a) + 1;
        text = Buffer.concat([
          text.subarray(0, firstRow),
          Buffer.from("\\.\n"),
          text.subarray(firstRow),
        ]);
      }
      texts.set(e.name, text);
      return { ...e, data: zlib.gzipSync(text) };
    });
    const manifest = editManifest([original], (m) => {
      const t = m.tables.find((t) => t.name === table)!;
      for (const file of t.files) {
        const text = texts.get(file.path)!;
        const data = ended.find((e) => e.name === file.path)!.data;
        t.rows += text.toString().split("\n").length - 1 - file.rows;
        t.bytes += text.length - file.bytes;
        Object.assign(file, {
          rows: text.toString().split("\n").length - 1,
          bytes: text.length,
          compressedBytes: data.length,
          compressedSha256: crypto.createHash("sha256").update(data).digest("hex"),
        });
      }
      t.sha256 = crypto
        .createHash("sha256")
        .update(Buffer.concat(t.files.map((f) => texts.get(f.path)!)))
        .digest("hex");
    })[0]!;
    const bytes = tarOf(ended.map((e) => (e.name === "manifest.json" ? manifest : e)));
    const message = /Data file data\/.* holds COPY's end-of-data marker \(\\\.\) in row 2/;
    await expectRefused(bytes, "malformed", message);
    const file = path.join(dir, "end-marker.tar");
    fs.writeFileSync(file, bytes);
    await expect(verifyDumpArchive(file)).rejects.toThrow(message);
  });

  it("refuses a load the target's server stored fewer rows of than the archive holds", async () => {
    // The archive is sound; the target drops one table's rows (a trigger its
    // event trigger puts on that table when the load creates it). Only the
    // server's own count shows it. The table is one no foreign key references
    // (a key check would fail before the count).
    const referenced = await withLoadTransaction(source, (t) =>
      t.query("select confrelid::regclass::text from pg_constraint where contype = 'f'"),
    );
    const table = manifestOf(entries).tables.find(
      (t) => t.rows > 0 && !referenced.some((r) => r[0] === t.name),
    )!.name;
    await expectRefused(
      tarOf(entries),
      "count_mismatch",
      new RegExp(`Table ${table} has 0 rows after the load; the archive has \\d+`),
      (target) =>
        withLoadTransaction(target, (t) =>
          t.exec(`
            create function public.drop_row() returns trigger language plpgsql
              as $$ begin return null; end $$;
            create function public.drop_rows_of_new_table() returns event_trigger language plpgsql as $$
              declare created record;
              begin
                for created in select * from pg_event_trigger_ddl_commands()
                  where command_tag = 'CREATE TABLE' and object_identity = 'public.${table}' loop
                  execute format('create trigger drop_row before insert on %s for each row execute function public.drop_row()', created.object_identity);
                end loop;
              end $$;
            create event trigger drop_rows_of_new_table on ddl_command_end
              execute function public.drop_rows_of_new_table()`),
        ),
    );
  });

  it("refuses a manifest whose table checksum is not the text's", async () => {
    // Every file's stored bytes still match: only the checksum of the text as
    // loaded (found once the table's last file is in) shows it.
    const lying = editManifest(entries, (m) => {
      const table = m.tables.find((t) => t.files.length > 1)!;
      table.sha256 = table.sha256.replace(/^./, (c) => (c === "0" ? "1" : "0"));
    });
    await expectRefused(
      tarOf(lying),
      "damaged",
      /Table \w+ does not match its checksum in the manifest/,
    );
  });

  it("refuses an archive that lacks a data file its manifest lists", async () => {
    // A middle file of a table: the rest of the table is loaded before the end shows it.
    const gone = entries.findIndex((e) => /^data\/.*\.1\.tsv\.gz$/.test(e.name));
    const name = entries[gone]!.name;
    await expectRefused(
      tarOf(entries.filter((_, i) => i !== gone)),
      "malformed",
      new RegExp(
        `Data file ${name.replace(/\./g, "\\.")} of table \\w+ is missing from the archive`,
      ),
    );
  });

  it("refuses an unknown format version", async () => {
    const future = editManifest(entries, (m) => {
      m.formatVersion = 2;
    });
    await expectRefused(
      tarOf(future),
      "format_version",
      /dump format version 2; .* reads version 1 only/,
    );
  });

  it("refuses a path outside the archive's folders", async () => {
    const evil = [{ name: "../evil.sh", data: Buffer.from("rm -rf /\n") }, ...entries];
    await expectRefused(
      tarOf(evil),
      "unsafe_path",
      /entry outside its own folders \("\.\.\/evil\.sh"\)/,
    );
  });

  it("refuses such a path between two data files of a table, before loading any of it", async () => {
    const table = entries.findIndex((e) => /^data\/.*\.1\.tsv\.gz$/.test(e.name));
    const evil = [
      ...entries.slice(0, table),
      { name: "../evil.sh", data: Buffer.from("rm -rf /\n") },
      ...entries.slice(table),
    ];
    await expectRefused(
      tarOf(evil),
      "unsafe_path",
      /entry outside its own folders \("\.\.\/evil\.sh"\)/,
    );
  });

  it("refuses an archive from a newer schema", async () => {
    const newer = editManifest(entries, (m) => {
      const last = m.schema.migrations.at(-1)!;
      m.schema.migrations.push({
        id: "9999_future",
        hash: last.hash,
        createdAt: last.createdAt + 1,
      });
      m.schema.migrationId = "9999_future";
    });
    await expectRefused(tarOf(newer), "newer_schema", /newer schema \(migration 9999_future\)/);
  });

  it("refuses a target that is not empty, and leaves it as it was", async () => {
    const target = await createTestDatabase(engine);
    try {
      await target.db
        .insert(users)
        .values({ email: "keep@example.com", name: "keep", passwordHash: "x" });
      await expect(loadDumpArchive(target, good, { jobs })).rejects.toMatchObject({
        code: "target_not_empty",
        message: expect.stringMatching(
          /The target database is not empty \(it has public\./,
        ) as unknown,
      });
      const rows = await target.db.select().from(users);
      expect(rows.map((r) => r.email)).toEqual(["keep@example.com"]);
    } finally {
      await target.drop();
    }
  });
});
