import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import { eq } from "drizzle-orm";
import fc from "fast-check";
import { expect } from "vitest";
import type postgres from "postgres";
import type { DatabaseHandle, Engine } from "@/db/client";
import { testEngines } from "@/lib/testing/engines";
import * as s from "@/db/schema";
import { existingContent, stableOutputSettings } from "../catalog";
import { withLoadTransaction } from "../load/target";
import { dumpTables, qualified } from "../tables";
import { writeDumpArchive, type DumpResult, type WriteDumpOptions } from "../write/write";

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "liftoff-dump-"));
}

export async function dumpToFile(
  handle: DatabaseHandle,
  file: string,
  options: WriteDumpOptions = {},
): Promise<DumpResult> {
  return writeDumpArchive(handle, fs.createWriteStream(file), options);
}

export function tableChecksums(result: DumpResult): Record<string, string> {
  return Object.fromEntries(result.manifest.tables.map((t) => [t.name, `${t.rows}:${t.sha256}`]));
}

/** Rows and bytes per table: what two dumps of the same data share in any row order. */
export function tableSizes(result: DumpResult): Record<string, string> {
  return Object.fromEntries(result.manifest.tables.map((t) => [t.name, `${t.rows}:${t.bytes}`]));
}

/**
 * Row-for-row digest of every dumped table computed by the server itself
 * (record output, ordered by key), independent of the dump's own rendering.
 */
export async function serverDigests(handle: DatabaseHandle): Promise<Record<string, string>> {
  const queries = dumpTables()
    .filter((t) => !t.excluded)
    .map((t) => {
      // The whole row's text: an order for any table, whatever its key.
      const order = `r::text collate "C"`;
      return `select ${`'${t.name}'`}, count(*)::text || ':' || md5(coalesce(string_agg(r::text, E'\\n' order by ${order}), '')) from ${qualified(t.name)} r`;
    });
  const sql = queries.join(" union all ") + " order by 1";
  let rows: string[][];
  if (handle.engine === "pglite") {
    rows = await (handle.raw as PGlite).transaction(async (tx) => {
      await tx.query(stableOutputSettings);
      return (await tx.query<string[]>(sql, [], { rowMode: "array" })).rows;
    });
  } else {
    const result: unknown = await (handle.raw as postgres.Sql).begin(async (tx) => {
      await tx.unsafe(stableOutputSettings);
      return tx.unsafe(sql).values();
    });
    rows = result as string[][];
  }
  return Object.fromEntries(rows.map((row): [string, string] => [row[0]!, row[1]!]));
}

const tricky = fc.constantFrom(
  "",
  "\\N",
  "\\",
  "\t",
  "\n",
  "\r\n",
  "\b\f\v",
  "\x01\x1f\x7f",
  "a\\tb",
  "enc:v1:not-really",
  "ümlaut 日本 😀",
  " leading and trailing ",
);
const char = fc.constantFrom(
  "\\",
  "\t",
  "\n",
  "\r",
  "N",
  "\b",
  "\f",
  "\v",
  "\x01",
  "é",
  "😀",
  "'",
  '"',
  "a",
);
/** Text as it can be in a PostgreSQL text column: anything but NUL. */
export const text = fc
  .oneof(
    tricky,
    fc.string({ unit: "binary", maxLength: 30 }),
    fc.string({ unit: char, maxLength: 20 }),
  )
  .map((v) => v.replace(/\0/g, ""));
export const json = fc
  .jsonValue({ maxDepth: 3 })
  .filter((v) => !JSON.stringify(v).includes("\\u0000"));
const jsonObject = fc.dictionary(text, json, { maxKeys: 4, noNullPrototype: true });
const date = fc.date({
  min: new Date("1970-01-01"),
  max: new Date("2200-01-01"),
  noInvalidDate: true,
});
const numeric = fc.bigInt({ min: -999999999999n, max: 999999999999n }).map((n) => {
  const sign = n < 0n ? "-" : "";
  const abs = (n < 0n ? -n : n).toString().padStart(4, "0");
  return `${sign}${abs.slice(0, -3)}.${abs.slice(-3)}`;
});

/** Random content for every table and every column type of the schema. */
export const dataset = fc.record({
  users: fc.array(
    fc.record({
      name: text,
      passwordHash: text,
      admin: fc.boolean(),
      active: fc.boolean(),
      lastLoginAt: fc.option(date),
    }),
    { minLength: 1, maxLength: 4 },
  ),
  collections: fc.array(
    fc.record({
      name: text,
      description: fc.option(text),
      color: fc.option(text),
      archived: fc.boolean(),
      parent: fc.option(fc.nat()),
    }),
    { maxLength: 4 },
  ),
  dataSources: fc.array(
    fc.record({
      name: text,
      password: fc.option(text),
      port: fc.integer({ min: 1, max: 65535 }),
      options: fc.option(jsonObject),
    }),
    { maxLength: 3 },
  ),
  cards: fc.array(
    fc.record({
      name: text,
      query: jsonObject,
      settings: jsonObject,
      lastUsedAt: fc.option(date),
      archived: fc.boolean(),
    }),
    { maxLength: 3 },
  ),
  dashboards: fc.array(fc.record({ name: text, parameters: fc.array(json, { maxLength: 3 }) }), {
    maxLength: 2,
  }),
  placements: fc.array(
    fc.record({
      row: fc.nat({ max: 100 }),
      col: fc.nat({ max: 18 }),
      sizeY: fc.integer({ min: 1, max: 48 }),
    }),
    { maxLength: 3 },
  ),
  settings: fc.array(fc.record({ value: text, secret: fc.boolean() }), { maxLength: 4 }),
  audit: fc.array(
    fc.record({ action: text, targetId: fc.option(text), details: jsonObject, createdAt: date }),
    { maxLength: 3 },
  ),
  logins: fc.array(
    fc.record({ email: text, ip: fc.option(text), success: fc.boolean(), reason: fc.option(text) }),
    { maxLength: 3 },
  ),
  views: fc.array(
    fc.record({ modelId: fc.integer(), durationMs: fc.option(numeric), viewedAt: date }),
    { maxLength: 3 },
  ),
  deleteLastUser: fc.boolean(),
});
export type Dataset = typeof dataset extends fc.Arbitrary<infer T> ? T : never;

/** Inserts a dataset; `seal` stores a secret the way the app would. */
export async function insertDataset(
  { db }: DatabaseHandle,
  data: Dataset,
  seal: (plain: string) => string = (plain) => plain,
): Promise<void> {
  const users = await db
    .insert(s.users)
    .values(
      data.users.map((u, i) => ({
        ...u,
        email: `user${i}-${u.name.length}@example.com`,
        role: u.admin ? ("admin" as const) : ("user" as const),
      })),
    )
    .returning({ id: s.users.id });
  const userId = (i: number) => users[i % users.length]!.id;
  const collections = data.collections.length
    ? await db.insert(s.collections).values(data.collections).returning({ id: s.collections.id })
    : [];
  // Parents may be created after their children: chunked loads must cope.
  for (const [i, c] of data.collections.entries()) {
    if (c.parent === null) continue;
    const parent = collections[c.parent % collections.length]!.id;
    if (parent !== collections[i]!.id) {
      await db
        .update(s.collections)
        .set({ parentId: parent })
        .where(eq(s.collections.id, collections[i]!.id));
    }
  }
  const sources = data.dataSources.length
    ? await db
        .insert(s.dataSources)
        .values(
          data.dataSources.map((d, i) => ({
            name: `${i}:${d.name}`,
            engine: "postgres" as const,
            details: {
              host: "db.example.com",
              port: d.port,
              database: d.name,
              user: "reader",
              ...(d.password === null ? {} : { password: seal(d.password) }),
              ...(d.options ? { options: d.options } : {}),
            },
            createdById: userId(i),
          })),
        )
        .returning({ id: s.dataSources.id })
    : [];
  const cards = data.cards.length
    ? await db
        .insert(s.cards)
        .values(
          data.cards.map((c, i) => ({
            name: c.name,
            query: c.query,
            visualizationSettings: c.settings,
            lastUsedAt: c.lastUsedAt,
            archived: c.archived,
            creatorId: userId(i),
            collectionId: collections[i]?.id ?? null,
            dataSourceId: sources[i]?.id ?? null,
          })),
        )
        .returning({ id: s.cards.id })
    : [];
  const dashboards = data.dashboards.length
    ? await db
        .insert(s.dashboards)
        .values(data.dashboards.map((d, i) => ({ ...d, creatorId: userId(i) })))
        .returning({ id: s.dashboards.id })
    : [];
  if (dashboards.length && cards.length && data.placements.length) {
    await db.insert(s.dashboardCards).values(
      data.placements.map((p, i) => ({
        ...p,
        sizeX: 6,
        dashboardId: dashboards[i % dashboards.length]!.id,
        cardId: cards[i % cards.length]!.id,
      })),
    );
  }
  if (data.settings.length) {
    await db.insert(s.settings).values(
      data.settings.map((st, i) => ({
        key: `${i}:${st.value}`,
        value: st.secret ? seal(st.value) : st.value,
        secret: st.secret,
      })),
    );
  }
  if (data.audit.length)
    await db.insert(s.auditLog).values(data.audit.map((a, i) => ({ ...a, actorId: userId(i) })));
  if (data.logins.length)
    await db
      .insert(s.loginHistory)
      .values(data.logins.map((l, i) => ({ ...l, userId: userId(i) })));
  if (data.views.length) {
    await db
      .insert(s.viewLog)
      .values(data.views.map((v, i) => ({ ...v, model: "card" as const, userId: userId(i) })));
  }
  await db.insert(s.cloudMigration).values({ state: "dump", progress: 20 });
  if (data.deleteLastUser && users.length > 1) {
    // Leaves a gap in the ids: the restored sequence must not hand it out again.
    await db.delete(s.users).where(eq(s.users.id, users.at(-1)!.id));
  }
}

/**
 * The loads a load test runs: each engine, and PostgreSQL also on two
 * connections (jobs 2), where there is no one transaction to roll back.
 */
export function loadCases(): { engine: Engine; jobs: number }[] {
  return testEngines().flatMap((engine): { engine: Engine; jobs: number }[] =>
    engine === "postgres"
      ? [
          { engine, jobs: 1 },
          { engine, jobs: 2 },
        ]
      : [{ engine, jobs: 1 }],
  );
}

/**
 * Asserts a refused load left its target as it found it: no table, no
 * migration record, no schema but `public`.
 */
export async function expectTargetUntouched(target: DatabaseHandle): Promise<void> {
  const untouched = await withLoadTransaction(target, async (t) => ({
    content: await existingContent(t.query),
    schemas: (
      await t.query(
        "select nspname::text from pg_namespace where nspname not like 'pg\\_%' and nspname <> 'information_schema' order by 1",
      )
    ).map((r) => r[0]),
  }));
  expect(untouched).toEqual({ content: [], schemas: ["public"] });
}
