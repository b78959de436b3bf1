import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { openDatabase } from "@/db/client";
import { dataSources, settings, storeMigrations } from "@/db/schema";
import type { Actor } from "@/lib/auth";
import { parseManifest } from "@/lib/dump/format/read-archive";
import { readTar } from "@/lib/dump/format/tar";
import { decryptSecret, isEncrypted } from "@/lib/secrets/cipher";
import { instanceId } from "@/lib/settings";
import { describeEachEngine } from "@/lib/testing/engines";
import { insertUser } from "@/lib/testing/fixtures";
import { startMigration } from "./control";
import { runPreflight } from "./preflight";
import { startMigrationRig, watchMigration, type MigrationRig } from "./testing/rig";

const plantedSetting = "planted-smtp-secret-5d1e";
const plantedPassword = "planted-ds-password-c07b";

describeEachEngine("a migration seals secrets for the store", (database, engine) => {
  let rig: MigrationRig;
  let admin: Actor;

  beforeAll(async () => {
    // An instance without LIFTOFF_ENCRYPTION_KEY: its secrets are stored in plaintext.
    const { db } = database();
    await db.insert(settings).values({ key: "smtp.password", value: plantedSetting, secret: true });
    await db.insert(dataSources).values({
      name: "sealed-warehouse",
      engine: "postgres",
      details: { host: "h", port: 5432, database: "d", user: "u", password: plantedPassword },
    });
    admin = await insertUser(db, { role: "admin" });
    await instanceId(db);
    rig = await startMigrationRig(database(), engine);
    expect(rig.context.secretKey).toBeNull();
  });
  afterAll(async () => {
    await rig?.close();
  });

  it("the preflight names the store key the secrets will be sealed for", async () => {
    const checks = await runPreflight(rig.context);
    const store = checks.find((c) => c.id === "store");
    expect(store, JSON.stringify(checks)).toMatchObject({ status: "pass" });
    expect(store!.detail).toContain(`sealed for its key ${rig.store.ctx.keys.sealing.keyId}`);
  });

  it("uploads no secret in plaintext; the cloud copy keeps them under the store's cloud-copy key", async () => {
    const id = await startMigration(rig.context, admin, { afterDone: "writable" });
    const row = await watchMigration(rig, id);
    expect(row.state, row.error ?? "").toBe("done");
    const { keys } = rig.store.ctx;
    expect(row.storeSealingKey).toBe(keys.sealing.publicKey);

    // The object as it sits in storage: every entry, data files decompressed.
    const [received] = await rig.store.ctx.db
      .select({ objectKey: storeMigrations.objectKey })
      .from(storeMigrations)
      .where(eq(storeMigrations.externalId, row.externalId!));
    const file = path.join(rig.store.tmp, `${engine}-uploaded.tar`);
    await rig.store.ctx.storage.download(received!.objectKey, file);
    const readable: Buffer[] = [];
    let manifest: Buffer | undefined;
    for await (const entry of readTar(fs.createReadStream(file), 1 << 30)) {
      readable.push(entry.name.endsWith(".gz") ? zlib.gunzipSync(entry.data) : entry.data);
      if (entry.name === "manifest.json") manifest = entry.data;
    }
    const text = Buffer.concat(readable).toString("utf8");
    // The rows are there (so the search reads the data), their secrets are not.
    expect(text).toContain("sealed-warehouse");
    expect(text).not.toContain(plantedSetting);
    expect(text).not.toContain(plantedPassword);
    expect(fs.readFileSync(file).includes(plantedPassword)).toBe(false);
    expect(parseManifest(manifest!).secrets).toMatchObject({
      mode: "store-key",
      sealedFor: { keyId: keys.sealing.keyId },
    });

    const target = rig.store.targets.at(-1)!;
    const cloud = await openDatabase(
      target.engine === "postgres" ? { databaseUrl: target.url } : { pgliteDir: target.dir },
    );
    try {
      const [setting] = await cloud.db
        .select({ value: settings.value })
        .from(settings)
        .where(sql`${settings.key} = 'smtp.password'`);
      const [source] = await cloud.db
        .select({ details: dataSources.details })
        .from(dataSources)
        .where(sql`${dataSources.name} = 'sealed-warehouse'`);
      expect(isEncrypted(setting!.value)).toBe(true);
      expect(isEncrypted(source!.details.password!)).toBe(true);
      expect(decryptSecret(setting!.value, keys.cloudCopy)).toBe(plantedSetting);
      expect(decryptSecret(source!.details.password!, keys.cloudCopy)).toBe(plantedPassword);
    } finally {
      await cloud.close();
    }
  }, 180_000);
});
