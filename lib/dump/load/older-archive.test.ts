import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, testEngines, type TestDatabase } from "@/lib/testing/engines";
import { codeMigrations } from "../migrations";
import { editManifest, entriesOf, manifestOf, tarOf } from "../testing/archive-edit";
import {
  dataset,
  dumpToFile,
  insertDataset,
  serverDigests,
  loadCases,
  tempDir,
} from "../testing/fixtures";
import { loadDumpArchive } from "./load";
import { withLoadTransaction } from "./target";
import { prepareTarget } from "./target-steps";

/**
 * The app tables a migration creates, by its CREATE TABLE statements: those in
 * `public`, the schema the dump carries (not liftoff_cluster's, for one).
 */
const createdBy = (sql: string) =>
  [...sql.matchAll(/CREATE TABLE (?:IF NOT EXISTS )?(?:"?([a-z0-9_]+)"?\.)?"?([a-z0-9_]+)"?/g)]
    .filter((m) => m[1] === undefined || m[1] === "public")
    .map((m) => m[2]!);

describe.each(loadCases())(
  "an archive of an older schema [$engine, jobs $jobs]",
  ({ engine, jobs }) => {
    let source: TestDatabase;
    const dir = tempDir();
    const older = path.join(dir, "older.tar");
    // The newest migration that creates tables, and every migration after it
    // (those may only alter or drop, e.g. in schemas the dump leaves out):
    // the older archive stops before all of them.
    const migrations = codeMigrations();
    const from = migrations.findLastIndex((m) => createdBy(m.sql).length > 0);
    const newer = migrations.slice(from);
    const newTables = createdBy(migrations[from]?.sql ?? "");
    beforeAll(async () => {
      source = await createTestDatabase(engine);
      await insertDataset(source, fc.sample(dataset, { numRuns: 1, seed: 11 })[0]!);
      const current = path.join(dir, "current.tar");
      await dumpToFile(source, current, { chunkBytes: 256, batchRows: 4 });
      // The archive as the version before the newest migration wrote it: its
      // schema stops one migration earlier, and the tables that migration
      // creates are not in it.
      const entries = await entriesOf(current);
      const dropped = new Set(
        manifestOf(entries)
          .tables.filter((t) => newTables.includes(t.name))
          .flatMap((t) => t.files.map((f) => f.path)),
      );
      const rewritten = editManifest(
        entries.filter((e) => !dropped.has(e.name)),
        (m) => {
          m.schema.migrations.splice(m.schema.migrations.length - newer.length);
          m.schema.migrationId = m.schema.migrations.at(-1)!.id;
          m.tables = m.tables.filter((t) => !newTables.includes(t.name));
          m.excludedTables = m.excludedTables.filter((t) => !newTables.includes(t.name));
          m.sequences = m.sequences.filter((s) => !newTables.includes(s.table));
        },
      );
      fs.writeFileSync(older, tarOf(rewritten));
    });
    afterAll(async () => {
      await source.drop();
    });

    it("loads, then applies the newer migrations, and equals the source", async () => {
      // The premise: a newer migration makes tables the older archive lacks
      // (empty in the source where a dump would carry them).
      expect(newTables.length).toBeGreaterThan(0);
      const digests = await serverDigests(source);
      for (const table of newTables) expect(digests[table] ?? "0:").toMatch(/^0:/);

      const target = await createTestDatabase(engine, { migrate: false });
      try {
        const report = await loadDumpArchive(target, older, { jobs });
        expect(report.verified.manifest.schema.migrationId).toBe(migrations[from - 1]!.id);
        expect(report.migrationsApplied).toEqual(newer.map((m) => m.id));
        expect(report.tables.map((t) => t.name)).not.toContain(newTables[0]);
        expect(await serverDigests(target)).toEqual(digests);
        const recorded = await withLoadTransaction(target, (t) =>
          t.query(`select hash from drizzle.__drizzle_migrations order by id`),
        );
        expect(recorded.map((r) => r[0])).toEqual(codeMigrations().map((m) => m.hash));
        const made = await withLoadTransaction(target, (t) =>
          t.query(`select ${newTables.map((n) => `to_regclass('public.${n}')::text`).join(", ")}`),
        );
        expect(made).toEqual([newTables]);
      } finally {
        await target.drop();
      }
    });
  },
);

describe.each(testEngines())("preparing the target [%s]", (engine) => {
  it("empties the rows a migration inserted, so that only the archive's are loaded", async () => {
    const source = await createTestDatabase(engine);
    const target = await createTestDatabase(engine, { migrate: false });
    try {
      const dir = tempDir();
      const { manifest } = await dumpToFile(source, path.join(dir, "empty.tar"));
      const known = codeMigrations();
      const seeding = {
        ...known.at(-1)!,
        id: "9999_seeds_rows",
        sql: `insert into users (email, name, password_hash) values ('seeded@example.com', 'seeded', 'x');
          insert into settings (key, value) values ('seeded', 'x')`,
      };
      const left = await withLoadTransaction(target, async (t) => {
        await prepareTarget(
          t,
          manifest,
          { before: [...known, seeding], after: [] },
          { record: false },
        );
        return t.query(
          `select (select count(*) from users)::text, (select count(*) from settings)::text`,
        );
      });
      expect(left).toEqual([["0", "0"]]);
    } finally {
      await target.drop();
      await source.drop();
    }
  });
});
