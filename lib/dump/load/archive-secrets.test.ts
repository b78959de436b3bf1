import path from "node:path";
import zlib from "node:zlib";
import { sql } from "drizzle-orm";
import { beforeAll, expect, it } from "vitest";
import { dataSources, settings } from "@/db/schema";
import { decryptSecret, deriveSecretKey, isEncrypted } from "@/lib/secrets/cipher";
import { newSealingPrivateKey, sealForStore, sealingKeyPair } from "@/lib/secrets/sealed-box";
import {
  createTestDatabase,
  describeEachEngine,
  resetDatabase,
  rowsOf,
  type TestDatabase,
} from "@/lib/testing/engines";
import { ArchiveRefusal } from "../format/errors";
import { archiveEntries } from "../format/read-archive";
import { newPassphraseKey } from "../secrets";
import { dumpToFile, tempDir } from "../testing/fixtures";
import { verifyDumpArchive } from "../verify/verify";
import { loadDumpArchive } from "./load";

/** Every byte the archive holds, data files decompressed: what its holder can read. */
async function readableText(file: string): Promise<string> {
  const parts: Buffer[] = [];
  for await (const entry of archiveEntries(file)) {
    parts.push(entry.kind === "data" ? zlib.gunzipSync(entry.data) : entry.data);
  }
  return Buffer.concat(parts).toString("utf8");
}

const plantedPassword = "planted-ds-password-7f3a";
const plantedSetting = "planted-smtp-secret-91c2";
const passphrase = "correct horse battery staple";
const targetKey = deriveSecretKey("the loading instance's own key");

async function loadedSecrets(target: TestDatabase) {
  const [setting] = await target.db
    .select({ value: settings.value })
    .from(settings)
    .where(sql`${settings.key} = 'smtp.password'`);
  const [source] = await target.db
    .select({ details: dataSources.details })
    .from(dataSources)
    .where(sql`${dataSources.name} = 'warehouse'`);
  return { setting: setting!.value, password: source!.details.password! };
}

async function publicTables(target: TestDatabase): Promise<number> {
  const result = await target.db.execute<{ n: number }>(
    sql`select count(*)::int as n from pg_tables where schemaname = 'public'`,
  );
  return rowsOf<{ n: number }>(result)[0]!.n;
}

describeEachEngine("secrets in an archive", (database, engine) => {
  const dir = tempDir();
  beforeAll(async () => {
    const source = database();
    await resetDatabase(source);
    // An instance without LIFTOFF_ENCRYPTION_KEY: its secrets are stored in plaintext.
    await source.db.insert(settings).values([
      { key: "smtp.password", value: plantedSetting, secret: true },
      { key: "site.name", value: "Acme" },
    ]);
    await source.db.insert(dataSources).values({
      name: "warehouse",
      engine: "postgres",
      details: { host: "h", port: 5432, database: "d", user: "u", password: plantedPassword },
    });
  });

  it("seals them with a passphrase: absent from the archive, opened again on load", async () => {
    const file = path.join(dir, `${engine}-passphrase.tar`);
    const passphraseKey = await newPassphraseKey(passphrase);
    const result = await dumpToFile(database(), file, {
      secrets: { mode: "passphrase", instanceKey: null, passphraseKey },
    });
    const text = await readableText(file);
    expect(text).not.toContain(plantedPassword);
    expect(text).not.toContain(plantedSetting);
    expect(text).not.toContain(passphrase);
    expect(result.manifest.secrets).toMatchObject({ mode: "passphrase", count: 2, encrypted: 2 });
    expect(result.manifest.secrets.kdf).toEqual(passphraseKey.kdf);
    await verifyDumpArchive(file);

    const target = await createTestDatabase(engine, { migrate: false });
    try {
      // Without it, or with another, nothing is written.
      await expect(loadDumpArchive(target, file)).rejects.toMatchObject({
        code: "passphrase_required",
      });
      await expect(
        loadDumpArchive(target, file, { passphrase: "not the passphrase at all" }),
      ).rejects.toThrow(ArchiveRefusal);
      await expect(
        loadDumpArchive(target, file, { passphrase: "not the passphrase at all" }),
      ).rejects.toMatchObject({ code: "wrong_passphrase" });
      expect(await publicTables(target)).toBe(0);

      // A target without a key of its own stores them as it stores every secret: plaintext.
      await loadDumpArchive(target, file, { passphrase, instanceKey: null });
      expect(await loadedSecrets(target)).toEqual({
        setting: plantedSetting,
        password: plantedPassword,
      });
    } finally {
      await target.drop();
    }

    const keyed = await createTestDatabase(engine, { migrate: false });
    try {
      await loadDumpArchive(keyed, file, { passphrase, instanceKey: targetKey, jobs: 2 });
      const loaded = await loadedSecrets(keyed);
      expect(isEncrypted(loaded.password)).toBe(true);
      expect(decryptSecret(loaded.password, targetKey)).toBe(plantedPassword);
      expect(decryptSecret(loaded.setting, targetKey)).toBe(plantedSetting);
    } finally {
      await keyed.drop();
    }
  }, 180_000);

  it("seals them for the store's public key: absent from the archive, opened only with its private key", async () => {
    const store = sealingKeyPair(newSealingPrivateKey());
    const file = path.join(dir, `${engine}-store.tar`);
    const storeSeal = sealForStore(store.publicKey);
    const result = await dumpToFile(database(), file, {
      secrets: { mode: "store", instanceKey: null, storeSeal },
    });
    const text = await readableText(file);
    expect(text).not.toContain(plantedPassword);
    expect(text).not.toContain(plantedSetting);
    expect(result.manifest.secrets).toMatchObject({
      mode: "store-key",
      count: 2,
      encrypted: 2,
      sealedFor: { keyId: store.keyId, ephemeralPublicKey: storeSeal.sealedFor.ephemeralPublicKey },
    });
    await verifyDumpArchive(file);

    const target = await createTestDatabase(engine, { migrate: false });
    try {
      // Without the store's key, or with another store's, nothing is written.
      await expect(loadDumpArchive(target, file)).rejects.toMatchObject({
        code: "sealing_key_required",
      });
      const otherStore = sealingKeyPair(newSealingPrivateKey());
      await expect(loadDumpArchive(target, file, { sealingKey: otherStore })).rejects.toThrow(
        /sealed for the store key .* not for this store's/,
      );
      expect(await publicTables(target)).toBe(0);

      await loadDumpArchive(target, file, { sealingKey: store, instanceKey: targetKey, jobs: 2 });
      const loaded = await loadedSecrets(target);
      expect(isEncrypted(loaded.password)).toBe(true);
      expect(decryptSecret(loaded.password, targetKey)).toBe(plantedPassword);
      expect(decryptSecret(loaded.setting, targetKey)).toBe(plantedSetting);
    } finally {
      await target.drop();
    }
  }, 180_000);

  it("seals what an instance with a key still keeps in plaintext", async () => {
    const instanceKey = deriveSecretKey("this instance's key, long enough");
    const file = path.join(dir, `${engine}-keep.tar`);
    const result = await dumpToFile(database(), file, { secrets: { mode: "keep", instanceKey } });
    const text = await readableText(file);
    expect(text).not.toContain(plantedPassword);
    expect(text).not.toContain(plantedSetting);
    expect(result.manifest.secrets).toMatchObject({ mode: "instance-key", count: 2, encrypted: 2 });
    const target = await createTestDatabase(engine, { migrate: false });
    try {
      await loadDumpArchive(target, file);
      const loaded = await loadedSecrets(target);
      expect(decryptSecret(loaded.password, instanceKey)).toBe(plantedPassword);
      expect(decryptSecret(loaded.setting, instanceKey)).toBe(plantedSetting);
    } finally {
      await target.drop();
    }
  }, 120_000);

  it("writes them in plaintext only when asked to, and says so", async () => {
    const file = path.join(dir, `${engine}-plaintext.tar`);
    const result = await dumpToFile(database(), file, {
      secrets: { mode: "plaintext", instanceKey: null },
    });
    expect(result.manifest.secrets.mode).toBe("plaintext");
    // The search above finds a password where one is: this archive has it.
    expect(await readableText(file)).toContain(plantedPassword);
  });
});
