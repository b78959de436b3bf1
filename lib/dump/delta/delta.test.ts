import path from "node:path";
import { sql } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "@/db/client";
import {
  createTestDatabase,
  resetDatabase,
  rowsOf,
  testEngines,
  type TestDatabase,
} from "@/lib/testing/engines";
import { loadDumpArchive } from "../load/load";
import { dumpTables } from "../tables";
import { dataset, dumpToFile, insertDataset, serverDigests, tempDir } from "../testing/fixtures";
import { applyDeltaArchive } from "./apply";
import { captureInstalled, installCapture, removeCapture } from "./capture";
import type { DigestSpec } from "./digest";

/**
 * One write of a random workload. Picks are offsets into a table's rows in
 * key order, so a pick always names a row when there is one; a write a
 * foreign key refuses is simply refused, as it would be for a user.
 */
const pick = fc.nat({ max: 12 });
const name = fc.string({ minLength: 1, maxLength: 12 });
const row = (table: string, offset: number, key = "id") =>
  `(select ${key} from ${table} order by ${key} offset ${offset} limit 1)`;
const write = fc.oneof(
  fc.record({ op: fc.constant("collection"), name, parent: fc.option(pick) }),
  fc.record({ op: fc.constant("card"), name, collection: pick }),
  fc.record({ op: fc.constant("edit card"), card: pick, name }),
  fc.record({ op: fc.constant("drop card"), card: pick }),
  fc.record({ op: fc.constant("dashboard"), name, card: pick }),
  fc.record({ op: fc.constant("drop dashboard"), dashboard: pick }),
  fc.record({ op: fc.constant("drop collection"), collection: pick }),
  fc.record({ op: fc.constant("rename setting"), setting: pick, suffix: name }),
  fc.record({ op: fc.constant("setting"), key: name, value: name }),
  fc.record({ op: fc.constant("card and back"), name }),
);
type Write = typeof write extends fc.Arbitrary<infer T> ? T : never;

const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

function statements(w: Write): string[] {
  switch (w.op) {
    case "collection":
      return [
        `insert into collections (name, parent_id) values (${literal(w.name)}, ${w.parent === null ? "null" : row("collections", w.parent)})`,
      ];
    case "card":
      return [
        `insert into cards (name, collection_id, query) values (${literal(w.name)}, ${row("collections", w.collection)}, '{"q": 1}')`,
      ];
    case "edit card":
      return [
        `update cards set name = ${literal(w.name)}, archived = not archived where id = ${row("cards", w.card)}`,
      ];
    case "drop card":
      // Cascades to the dashboards' placements of it.
      return [`delete from cards where id = ${row("cards", w.card)}`];
    case "dashboard":
      return [
        `with d as (insert into dashboards (name) values (${literal(w.name)}) returning id)
         insert into dashboard_cards (dashboard_id, card_id) select d.id, ${row("cards", w.card)} from d where ${row("cards", w.card)} is not null`,
      ];
    case "drop dashboard":
      return [`delete from dashboards where id = ${row("dashboards", w.dashboard)}`];
    case "drop collection":
      // Cards' collection set to null; refused while it has sub-collections.
      return [`delete from collections where id = ${row("collections", w.collection)}`];
    case "rename setting":
      // A primary key changed: the old key must go, the new one come.
      return [
        `update settings set key = key || ${literal(w.suffix)} where key = ${row("settings", w.setting, "key")}`,
      ];
    case "setting":
      return [
        `insert into settings (key, value) values (${literal(w.key)}, ${literal(w.value)}) on conflict (key) do update set value = excluded.value`,
      ];
    case "card and back":
      // Inserted and deleted within the phase: the delta lists a key with no row.
      return [
        `insert into cards (name, query) values (${literal(w.name)}, '{}')`,
        `delete from cards where id = (select max(id) from cards)`,
      ];
  }
}

async function run(handle: DatabaseHandle, writes: Write[]): Promise<void> {
  for (const w of writes) {
    for (const statement of statements(w)) {
      try {
        await handle.db.execute(sql.raw(statement));
      } catch (error) {
        // Foreign keys and unique keys refuse some random writes: as for a user.
        // The driver's message is on the cause: drizzle's own says only "Failed query".
        const cause = (error as Error).cause;
        if (!/violates|duplicate key/.test(`${String(error)} ${String(cause)}`)) throw error;
      }
    }
  }
}

const snapshotOf = (result: { manifest: { snapshot?: string } }) => result.manifest.snapshot!;

for (const engine of testEngines()) {
  describe(`delta after a base copy [${engine}]`, () => {
    let source: TestDatabase;
    const dir = tempDir();
    beforeAll(async () => {
      source = await createTestDatabase(engine);
    });
    afterAll(async () => {
      await removeCapture(source.db).catch(() => {});
      await source.drop();
    });

    it("makes the copy equal the source table by table, whatever was written during the base copy", async () => {
      let n = 0;
      await fc.assert(
        fc.asyncProperty(
          dataset,
          fc.array(write, { maxLength: 25 }),
          fc.array(write, { maxLength: 25 }),
          fc.array(write, { maxLength: 25 }),
          async (data, duringBase, betweenRounds, beforeFreeze) => {
            const k = n++;
            await removeCapture(source.db);
            await resetDatabase(source);
            await insertDataset(source, data);
            await installCapture(source.db);
            // PostgreSQL: the writes run beside the base snapshot, on other
            // connections. PGlite is one connection: they queue behind it.
            const baseFile = path.join(dir, `base-${k}.tar`);
            const [base] = await Promise.all([
              dumpToFile(source, baseFile, { chunkBytes: 256, batchRows: 3 }),
              run(source, duringBase),
            ]);
            const target = await createTestDatabase(engine, { migrate: false });
            try {
              await loadDumpArchive(target, baseFile);
              // A writable round, with writes going on while it is read.
              const firstFile = path.join(dir, `delta1-${k}.tar`);
              const [first] = await Promise.all([
                dumpToFile(source, firstFile, {
                  delta: { round: 1, since: snapshotOf(base), final: false },
                }),
                run(source, betweenRounds),
              ]);
              expect(first.manifest.delta).toMatchObject({ round: 1, final: false });
              await applyDeltaArchive(target, firstFile);
              await run(source, beforeFreeze);
              // The final round: nothing writes any more.
              const finalFile = path.join(dir, `delta2-${k}.tar`);
              const specs = dumpTables()
                .filter((t) => !t.excluded)
                .map((t) => t.name);
              await dumpToFile(source, finalFile, {
                writesFrozen: true,
                delta: {
                  round: 2,
                  since: snapshotOf(first),
                  final: true,
                  digests: await digestSpecs(source, specs),
                },
              });
              const applied = await applyDeltaArchive(target, finalFile);
              expect(applied).toMatchObject({ round: 2, final: true });
              expect(applied.digests.length).toBeGreaterThan(5);
              expect(await serverDigests(target)).toEqual(await serverDigests(source));
            } finally {
              await target.drop();
            }
          },
        ),
        // A failure is reported as found: shrinking a case of a hundred
        // writes would outlast the test's time and hide the counterexample.
        { numRuns: engine === "pglite" ? 3 : 5, endOnFailure: true },
      );
    }, 120_000);

    it("refuses a final delta whose digests the copy does not match, and applies nothing", async () => {
      await removeCapture(source.db);
      await resetDatabase(source);
      await installCapture(source.db);
      await run(source, [{ op: "setting", key: "a", value: "1" }]);
      const baseFile = path.join(dir, "refused-base.tar");
      const base = await dumpToFile(source, baseFile);
      const target = await createTestDatabase(engine, { migrate: false });
      try {
        await loadDumpArchive(target, baseFile);
        await run(source, [{ op: "setting", key: "b", value: "2" }]);
        // The copy drifts from the source behind the migration's back.
        await target.db.execute(sql`insert into settings (key, value) values ('stray', 'x')`);
        const finalFile = path.join(dir, "refused-final.tar");
        await dumpToFile(source, finalFile, {
          writesFrozen: true,
          delta: {
            round: 1,
            since: snapshotOf(base),
            final: true,
            digests: await digestSpecs(source, ["settings"]),
          },
        });
        await expect(applyDeltaArchive(target, finalFile)).rejects.toThrow(
          /does not match the source in 1 table: settings \(source 2 rows, copy 3 rows\)/,
        );
        const keys = rowsOf<{ key: string }>(
          await target.db.execute(sql`select key from settings order by key`),
        ).map((r) => r.key);
        expect(keys).toEqual(["a", "stray"]);
      } finally {
        await target.drop();
      }
    });

    it("removes capture without a trace, and refuses TRUNCATE while it is on", async () => {
      await installCapture(source.db);
      expect(await captureInstalled(source.db)).toBe(true);
      const refused = await source.db.execute(sql`truncate view_log`).then(
        () => null,
        (error: Error) => ((error.cause as Error | undefined) ?? error).message,
      );
      expect(refused).toMatch(/TRUNCATE of view_log is refused while a migration copies/);
      await removeCapture(source.db);
      expect(await captureInstalled(source.db)).toBe(false);
      await source.db.execute(sql`truncate view_log`);
    });
  });
}

/** Every column of `tables`, as the source has them. */
async function digestSpecs(handle: DatabaseHandle, tables: string[]): Promise<DigestSpec[]> {
  const rows = rowsOf<{ table_name: string; column_name: string }>(
    await handle.db.execute(
      sql.raw(`select table_name, column_name from information_schema.columns
        where table_schema = 'public' and table_name in (${tables.map(literal).join(", ")})
        order by table_name, ordinal_position`),
    ),
  );
  return tables.map((table) => ({
    table,
    columns: rows.filter((r) => r.table_name === table).map((r) => r.column_name),
  }));
}
