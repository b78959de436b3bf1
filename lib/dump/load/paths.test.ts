import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, testEngines, type TestDatabase } from "@/lib/testing/engines";
import { manifestFromTail } from "../format/manifest-tail";
import { dataset, dumpToFile, insertDataset, serverDigests, tempDir } from "../testing/fixtures";
import { withoutKeysAndIndexes } from "./keys";
import { loadDumpArchive } from "./load";
import { withLoadTransaction, type LoadTarget } from "./target";

const keysAndIndexes = (target: LoadTarget) =>
  target.query(`
    select conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
    from pg_constraint where connamespace = 'public'::regnamespace and contype in ('f', 'p', 'u', 'x')
    union all
    select indexdef from pg_indexes where schemaname = 'public'
    order by 1`);

describe.each(testEngines())("load paths [%s]", (engine) => {
  let source: TestDatabase;
  const dir = tempDir();
  const file = path.join(dir, "good.tar");
  beforeAll(async () => {
    source = await createTestDatabase(engine);
    await insertDataset(source, fc.sample(dataset, { numRuns: 1, seed: 11 })[0]!);
    await dumpToFile(source, file, { chunkBytes: 256, batchRows: 3 });
  });
  afterAll(async () => {
    await source.drop();
  });

  it("finds the manifest at the end of the file, and not in a file with trailing bytes", async () => {
    const tail = await manifestFromTail(file);
    expect((JSON.parse(tail!.toString()) as { format: string }).format).toBe("liftoff-dump");
    const padded = path.join(dir, "padded.tar");
    fs.writeFileSync(padded, Buffer.concat([fs.readFileSync(file), Buffer.alloc(512, 1)]));
    expect(await manifestFromTail(padded)).toBeNull();
  });

  it("loads an archive given as a stream (verified in full first)", async () => {
    const target = await createTestDatabase(engine, { migrate: false });
    try {
      await loadDumpArchive(target, () => fs.createReadStream(file));
      expect(await serverDigests(target)).toEqual(await serverDigests(source));
    } finally {
      await target.drop();
    }
  });

  it("puts back every key and index, and a key the rows break fails the load", async () => {
    const target = await createTestDatabase(engine);
    try {
      await withLoadTransaction(target, async (t) => {
        const before = await keysAndIndexes(t);
        expect(before.length).toBeGreaterThan(5);
        await withoutKeysAndIndexes(t, async () => {
          expect(await keysAndIndexes(t)).toEqual([]);
        });
        expect(await keysAndIndexes(t)).toEqual(before);
      });
      const duplicate = withLoadTransaction(target, (t) =>
        withoutKeysAndIndexes(t, async () => {
          await t.exec(`insert into settings (key, value) values ('k', 'a'), ('k', 'b')`);
        }),
      );
      await expect(duplicate).rejects.toThrow(/could not create unique index/);
      const rows = await withLoadTransaction(target, (t) =>
        t.query(`select count(*)::text from settings where key = 'k'`),
      );
      expect(rows).toEqual([["0"]]);
    } finally {
      await target.drop();
    }
  });

  it("loads a table of many megabytes byte for byte, a file at a time or several to a COPY", async () => {
    // Text pieces are 1 MB, sent from reused buffers: this table takes
    // several, in one file and across files of one COPY.
    const big = await createTestDatabase(engine);
    try {
      await withLoadTransaction(big, (t) =>
        t.exec(`
          insert into audit_log (action, target_id, details)
          select 'action ' || g, md5(g::text), jsonb_build_object('note', repeat(md5(g::text), 5))
          from generate_series(1, 20000) g`),
      );
      const digests = await serverDigests(big);
      for (const chunkBytes of [8 << 20, 700_000]) {
        const bigFile = path.join(dir, `big-${chunkBytes}.tar`);
        const dumped = await dumpToFile(big, bigFile, { chunkBytes });
        const table = dumped.manifest.tables.find((t) => t.name === "audit_log")!;
        expect(table.bytes).toBeGreaterThan(4 << 20);
        for (const jobs of engine === "postgres" ? [1, 2] : [1]) {
          const target = await createTestDatabase(engine, { migrate: false });
          try {
            await loadDumpArchive(target, bigFile, { jobs });
            expect(await serverDigests(target)).toEqual(digests);
          } finally {
            await target.drop();
          }
        }
      }
    } finally {
      await big.drop();
    }
  });
});
