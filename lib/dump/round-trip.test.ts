import fs from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "@/db/client";
import { auditLog, collections, dataSources, settings, users } from "@/db/schema";
import { deriveSecretKey, decryptSecret, encryptSecret } from "@/lib/secrets/cipher";
import { newSealingPrivateKey, sealForStore, sealingKeyPair } from "@/lib/secrets/sealed-box";
import {
  createTestDatabase,
  resetDatabase,
  testEngines,
  type TestDatabase,
} from "@/lib/testing/engines";
import { loadDumpArchive } from "./load/load";
import {
  dataset,
  dumpToFile,
  insertDataset,
  serverDigests,
  tableChecksums,
  tableSizes,
  tempDir,
} from "./testing/fixtures";

const engines = testEngines();
const directions: [Engine, Engine][] = engines.flatMap((from) =>
  engines
    .filter((to) => to !== from || engines.length === 1)
    .map((to) => [from, to] as [Engine, Engine]),
);

for (const [from, to] of directions) {
  describe(`dump round trip ${from} -> ${to}`, () => {
    let source: TestDatabase;
    const dir = tempDir();
    beforeAll(async () => {
      source = await createTestDatabase(from);
    });
    afterAll(async () => {
      await source.drop();
    });

    it("loads random content of every column type row for row, and takes new rows after", async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(dataset, async (data) => {
          await resetDatabase(source);
          await insertDataset(source, data);
          const file = path.join(dir, `run-${run++}.tar`);
          // Tiny chunks and batches: every table spans several files and ranges.
          const dumped = await dumpToFile(source, file, { chunkBytes: 64, batchRows: 2 });
          const target = await createTestDatabase(to, { migrate: false });
          try {
            const report = await loadDumpArchive(target, file);
            expect(report.tables).toEqual(
              dumped.manifest.tables.map((t) => ({ name: t.name, rows: t.rows })),
            );
            expect(await serverDigests(target)).toEqual(await serverDigests(source));
            const again = await dumpToFile(target, path.join(dir, `again-${run}.tar`));
            // A copy dumps to the same rows and bytes. PostgreSQL reads tables in
            // physical order and PGlite in key order, so the checksums agree
            // unless the copy reorders them: PostgreSQL's archive loaded into PGlite.
            expect(tableSizes(again)).toEqual(tableSizes(dumped));
            if (from === "pglite" || to === "postgres") {
              expect(tableChecksums(again)).toEqual(tableChecksums(dumped));
            }

            // New rows get ids past every id the source ever handed out.
            const next = (table: string) =>
              BigInt(dumped.manifest.sequences.find((q) => q.table === table)!.nextValue);
            const [user] = await target.db
              .insert(users)
              .values({ email: "new@example.com", name: "new", passwordHash: "x" })
              .returning();
            expect(BigInt(user!.id)).toBe(next("users"));
            const [entry] = await target.db
              .insert(auditLog)
              .values({ action: "after" })
              .returning();
            expect(BigInt(entry!.id)).toBe(next("audit_log"));
            await target.db.insert(collections).values({ name: "new" });
          } finally {
            await target.drop();
          }
        }),
        { numRuns: 4 },
      );
    }, 240_000);
  });
}

describe.each(engines)("dump contents [%s]", (engine) => {
  let source: TestDatabase;
  const dir = tempDir();
  const instanceKey = deriveSecretKey("instance key for tests");
  const cloudKey = deriveSecretKey("the cloud's key for tests");
  beforeAll(async () => {
    source = await createTestDatabase(engine);
    await insertDataset(source, fc.sample(dataset, { numRuns: 1, seed: 7 })[0]!, (plain) =>
      encryptSecret(plain, instanceKey),
    );
    await source.db
      .insert(settings)
      .values({ key: "smtp.password", value: encryptSecret("hunter2", instanceKey), secret: true });
    await source.db
      .insert(settings)
      .values({ key: "site.name", value: "enc:v1:looks encrypted", secret: false });
    await source.db.insert(dataSources).values({
      name: "warehouse",
      engine: "postgres",
      details: {
        host: "h",
        port: 5432,
        database: "d",
        user: "u",
        password: encryptSecret("s3cret", instanceKey),
        options: {},
      },
    });
    // Beyond a JS number: a rewrite through JSON.parse would round it.
    await source.db.execute(
      sql`update data_sources set details = jsonb_set(details, '{options,big}', '123456789012345678901234567890'::jsonb) where name = 'warehouse'`,
    );
  });
  afterAll(async () => {
    await source.drop();
  });

  async function loadedSecrets(
    options: Parameters<typeof dumpToFile>[2],
    loadOptions: Parameters<typeof loadDumpArchive>[2] = {},
  ) {
    const file = path.join(dir, `${options?.secrets?.mode}.tar`);
    const result = await dumpToFile(source, file, options);
    const target = await createTestDatabase(engine, { migrate: false });
    try {
      await loadDumpArchive(target, file, loadOptions);
      const rows = await target.db.select().from(settings);
      const [warehouse] = await target.db
        .select()
        .from(dataSources)
        .where(sql`${dataSources.name} = 'warehouse'`);
      const big = await target.db.execute(
        sql`select details->'options'->>'big' as big from data_sources where name = 'warehouse'`,
      );
      return { result, rows, warehouse: warehouse!, big: JSON.stringify(big) };
    } finally {
      await target.drop();
    }
  }

  it("keeps secrets encrypted with the instance key by default", async () => {
    const { result, rows, warehouse } = await loadedSecrets({
      secrets: { mode: "keep", instanceKey },
    });
    expect(result.manifest.secrets.mode).toBe("instance-key");
    const smtp = rows.find((r) => r.key === "smtp.password")!;
    expect(smtp.value.startsWith("enc:v2:")).toBe(true);
    expect(decryptSecret(smtp.value, instanceKey)).toBe("hunter2");
    expect(decryptSecret(warehouse.details.password!, instanceKey)).toBe("s3cret");
  });

  it("decrypts secrets in a plaintext dump and says so", async () => {
    const { result, rows, warehouse, big } = await loadedSecrets({
      secrets: { mode: "plaintext", instanceKey },
    });
    expect(result.manifest.secrets).toMatchObject({ mode: "plaintext", encrypted: 0 });
    expect(rows.find((r) => r.key === "smtp.password")!.value).toBe("hunter2");
    expect(rows.find((r) => r.key === "site.name")!.value).toBe("enc:v1:looks encrypted");
    expect(warehouse.details.password).toBe("s3cret");
    expect(big).toContain("123456789012345678901234567890");
  });

  it("seals secrets for the store's public key; the store reseals them with its cloud-copy key", async () => {
    const store = sealingKeyPair(newSealingPrivateKey());
    const { result, rows, warehouse } = await loadedSecrets(
      { secrets: { mode: "store", instanceKey, storeSeal: sealForStore(store.publicKey) } },
      { sealingKey: store, instanceKey: cloudKey },
    );
    expect(result.manifest.secrets).toMatchObject({
      mode: "store-key",
      sealedFor: { keyId: store.keyId },
    });
    const smtp = rows.find((r) => r.key === "smtp.password")!.value;
    expect(decryptSecret(smtp, cloudKey)).toBe("hunter2");
    expect(() => decryptSecret(smtp, instanceKey)).toThrow();
    expect(decryptSecret(warehouse.details.password!, cloudKey)).toBe("s3cret");
  });

  it("reports a share done that only grows, reaching 1 as the last table ends", async () => {
    // Planner estimates are stale here (never analysed since the inserts).
    const seen: { fraction: number; rowsDone: number; bytesDone: number }[] = [];
    const result = await dumpToFile(source, path.join(dir, "progress.tar"), {
      batchRows: 7,
      onProgress: ({ fraction, rowsDone, bytesDone }) =>
        seen.push({ fraction, rowsDone, bytesDone }),
    });
    const fractions = seen.map((p) => p.fraction);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(fractions[0]).toBe(0);
    expect(fractions.at(-1)).toBe(1);
    expect(fractions.filter((f) => f === 1)).toHaveLength(1);
    expect(new Set(fractions).size).toBeGreaterThan(result.manifest.tables.length);
    const rows = result.manifest.tables.reduce((n, t) => n + t.rows, 0);
    expect(seen.at(-1)?.rowsDone).toBe(rows);
  });

  it("leaves out the cloud migration rows but keeps the table", async () => {
    const { result } = await loadedSecrets({});
    expect(result.manifest.tables.map((t) => t.name)).not.toContain("cloud_migration");
    expect(result.manifest.excludedTables.map((t) => t.name).sort()).toEqual([
      "cloud_migration",
      "cloud_migration_event",
      "cloud_migration_part",
      "cloud_migration_upload",
    ]);
    const journal = JSON.parse(
      fs.readFileSync(path.resolve("drizzle/meta/_journal.json"), "utf8"),
    ) as { entries: { tag: string }[] };
    expect(result.manifest.schema.migrationId).toBe(journal.entries.at(-1)?.tag);
  });
});
