import path from "node:path";
import fc from "fast-check";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { users } from "@/db/schema";
import { createTestDatabase, testEngines, type TestDatabase } from "@/lib/testing/engines";
import { codeMigrations } from "../../migrations";
import { dataset, dumpToFile, insertDataset, serverDigests, tempDir } from "../../testing/fixtures";
import { loadDumpArchive } from "../load";

describe.skipIf(!testEngines().includes("postgres"))("load on two connections", () => {
  let source: TestDatabase;
  const dir = tempDir();
  const file = path.join(dir, "archive.tar");
  beforeAll(async () => {
    source = await createTestDatabase("postgres");
    await insertDataset(source, fc.sample(dataset, { numRuns: 1, seed: 7 })[0]!);
    // Tiny files: each table spans several.
    await dumpToFile(source, file, { chunkBytes: 64, batchRows: 2 });
  });
  afterAll(async () => {
    await source.drop();
  });

  it("loads what one transaction loads, records the migrations last, and takes new rows", async () => {
    const target = await createTestDatabase("postgres", { migrate: false });
    try {
      const progress: number[] = [];
      const report = await loadDumpArchive(target, file, {
        jobs: 2,
        onProgress: (p) => progress.push(p.rowsDone),
      });
      expect(await serverDigests(target)).toEqual(await serverDigests(source));
      expect(report.tables.reduce((n, t) => n + t.rows, 0)).toBe(progress.at(-1));
      const recorded = await (target.raw as postgres.Sql)<{ n: string }[]>`
        select count(*)::text as n from drizzle.__drizzle_migrations`;
      expect(Number(recorded[0]!.n)).toBe(codeMigrations().length);
      await target.db
        .insert(users)
        .values({ email: "after@example.com", name: "after", passwordHash: "x" });
    } finally {
      await target.drop();
    }
  });

  it("undoes everything when a key cannot be rebuilt mid-way, on one connection or two", async () => {
    // An archive that is sound in itself but holds a duplicate key: the source
    // lost its primary key, then got a second row with an id already taken.
    const broken = await createTestDatabase("postgres");
    const brokenFile = path.join(dir, "duplicate-key.tar");
    try {
      await insertDataset(broken, fc.sample(dataset, { numRuns: 1, seed: 7 })[0]!);
      const raw = broken.raw as postgres.Sql;
      await raw.unsafe("alter table users drop constraint users_pkey cascade");
      await raw.unsafe(
        "insert into users (id, email, name, password_hash) overriding system value select id, 'twin-' || email, name, password_hash from users order by id limit 1",
      );
      await dumpToFile(broken, brokenFile, { chunkBytes: 64, batchRows: 2 });
    } finally {
      await broken.drop();
    }
    for (const jobs of [1, 2]) {
      const target = await createTestDatabase("postgres", { migrate: false });
      try {
        await expect(loadDumpArchive(target, brokenFile, { jobs })).rejects.toThrow(
          /could not create unique index "users_pkey"/,
        );
        const left = await (target.raw as postgres.Sql)<{ name: string }[]>`
          select nspname::text || '.' || coalesce(relname::text, '') as name
          from pg_namespace n left join pg_class c on c.relnamespace = n.oid
          where nspname not like 'pg\\_%' and nspname <> 'information_schema'`;
        expect(left.map((r) => r.name)).toEqual(["public."]);
      } finally {
        await target.drop();
      }
    }
  });
});
