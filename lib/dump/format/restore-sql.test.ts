import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { users } from "@/db/schema";
import { migrateDatabase } from "@/db/client";
import { createTestDatabase, testEngines, type TestDatabase } from "@/lib/testing/engines";
import {
  dataset,
  dumpToFile,
  insertDataset,
  serverDigests,
  tableChecksums,
  tempDir,
} from "../testing/fixtures";

// restore.sql targets PostgreSQL; the source may be either engine.
describe.each(testEngines())("restore.sql with psql alone [source %s]", (engine) => {
  let source: TestDatabase;
  let target: TestDatabase;
  beforeAll(async () => {
    source = await createTestDatabase(engine);
    target = await createTestDatabase("postgres", { migrate: false });
  });
  afterAll(async () => {
    await source.drop();
    await target.drop();
  });

  it("restores an extracted archive to the same checksums", async () => {
    await insertDataset(source, fc.sample(dataset, { numRuns: 1, seed: 3 })[0]!);
    const dir = tempDir();
    const file = path.join(dir, "dump.tar");
    const dumped = await dumpToFile(source, file, { chunkBytes: 64, batchRows: 2 });
    const extracted = path.join(dir, "x");
    fs.mkdirSync(extracted);
    execFileSync("tar", ["-xf", file, "-C", extracted]);
    execFileSync("psql", ["-X", "-q", "-d", target.url!, "-f", "restore.sql"], {
      cwd: extracted,
      stdio: ["ignore", "pipe", "pipe"],
    });

    expect(await serverDigests(target)).toEqual(await serverDigests(source));
    const again = await dumpToFile(target, path.join(dir, "again.tar"));
    expect(tableChecksums(again)).toEqual(tableChecksums(dumped));
    // The app's migrator sees the schema as current, and new rows get fresh ids.
    await migrateDatabase(target);
    const [user] = await target.db
      .insert(users)
      .values({ email: "after@example.com", name: "after", passwordHash: "x" })
      .returning();
    const next = dumped.manifest.sequences.find((s) => s.table === "users")!.nextValue;
    expect(String(user!.id)).toBe(next);
  }, 60_000);
});
