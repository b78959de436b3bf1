import { asc, sql } from "drizzle-orm";
import { beforeEach, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { dataSources, settings } from "@/db/schema";
import { describeEachEngine, resetDatabase } from "@/lib/testing/engines";
import { decryptSecret, deriveSecretKey, encryptSecret, isEncrypted, sealSecret } from "./cipher";
import type { SecretKey } from "./cipher";
import { rotateSecrets, RotationRefusedError } from "./rotate";

const oldKey = deriveSecretKey("the old key, long enough");
const newKey = deriveSecretKey("the new key, long enough");
const wrongKey = deriveSecretKey("nobody's key, long enough");
const longAgo = new Date("2021-06-01T12:00:00Z");

const plainSettings = { "smtp-password": "s3cret §", "slack-token": "xoxb-🔑-דוח" };
const plainPassword = "pa$$ 日本";

/** Two secret settings, two plain ones (one looks encrypted), three kinds of data source. */
async function storeFixtures(db: Database, key: SecretKey | null): Promise<void> {
  await db.insert(settings).values([
    ...Object.entries(plainSettings).map(([k, value]) => ({
      key: k,
      value: sealSecret(value, key),
      secret: true,
      updatedAt: longAgo,
    })),
    { key: "site-name", value: "Acme 🚀", updatedAt: longAgo },
    { key: "odd-note", value: "enc:v1:not-really-encrypted", updatedAt: longAgo },
  ]);
  const common = { port: 5432, database: "dwh", user: "ro", ssl: true, options: { a: { b: [1] } } };
  await db.insert(dataSources).values([
    {
      name: "with password",
      engine: "postgres",
      details: { ...common, host: "a", password: sealSecret(plainPassword, key) },
      updatedAt: longAgo,
    },
    { name: "empty password", engine: "mysql", details: { ...common, host: "b", password: null } },
    { name: "no password", engine: "bigquery", details: { ...common, host: "c" } },
  ]);
}

async function snapshot(db: Database) {
  return {
    settings: await db.select().from(settings).orderBy(asc(settings.key)),
    dataSources: await db.select().from(dataSources).orderBy(asc(dataSources.id)),
  };
}
type Snapshot = Awaited<ReturnType<typeof snapshot>>;

/** Decrypts what a rotation wrote, and checks it changed nothing else. */
function opened(before: Snapshot, after: Snapshot, key: SecretKey | null) {
  const strip = (rows: Snapshot["dataSources"]) =>
    rows.map(({ details: { password: _, ...rest }, ...row }) => ({ ...row, details: rest }));
  expect(strip(after.dataSources)).toEqual(strip(before.dataSources));
  expect(after.settings.filter((s) => !s.secret)).toEqual(before.settings.filter((s) => !s.secret));
  expect(after.settings.map(({ value: _, ...s }) => s)).toEqual(
    before.settings.map(({ value: _, ...s }) => s),
  );
  return {
    settings: Object.fromEntries(
      after.settings.filter((s) => s.secret).map((s) => [s.key, decryptSecret(s.value, key)]),
    ),
    passwords: after.dataSources.map((d) => d.details.password),
  };
}

describeEachEngine("key rotation", (database) => {
  beforeEach(async () => {
    await resetDatabase(database());
  });

  it("encrypts plaintext secrets with a first key", async () => {
    const { db } = database();
    await storeFixtures(db, null);
    const before = await snapshot(db);
    const result = await rotateSecrets(db, { from: null, to: newKey });
    expect(result).toEqual({ settings: 2, dataSourcePasswords: 1 });
    const after = await snapshot(db);
    const secrets = opened(before, after, newKey);
    expect(secrets.settings).toEqual(plainSettings);
    expect(isEncrypted(secrets.passwords[0] ?? "")).toBe(true);
    expect(decryptSecret(secrets.passwords[0] ?? "", newKey)).toBe(plainPassword);
    expect(secrets.passwords.slice(1)).toEqual([null, undefined]);
    for (const s of after.settings.filter((s) => s.secret)) expect(isEncrypted(s.value)).toBe(true);
  });

  it("moves secrets from the current key to a new one", async () => {
    const { db } = database();
    await storeFixtures(db, oldKey);
    const before = await snapshot(db);
    expect(await rotateSecrets(db, { from: oldKey, to: newKey })).toEqual({
      settings: 2,
      dataSourcePasswords: 1,
    });
    const after = await snapshot(db);
    expect(opened(before, after, newKey).settings).toEqual(plainSettings);
    const password = after.dataSources[0]?.details.password ?? "";
    expect(decryptSecret(password, newKey)).toBe(plainPassword);
    expect(() => decryptSecret(password, oldKey)).toThrow(/could not be decrypted/);
  });

  it("rewrites values sealed under the earlier HKDF key form as v2 when rotated to the same key", async () => {
    const { db } = database();
    // What the earlier release stored for this key: its HKDF key under the v1 prefix.
    const legacy: SecretKey = { bytes: oldKey.legacyBytes! };
    const asV1 = (value: string) =>
      "enc:v1:" + encryptSecret(value, legacy).slice("enc:v2:".length);
    await storeFixtures(db, null);
    await db.execute(
      sql`update settings set value = case key ${sql.join(
        Object.entries(plainSettings).map(([k, v]) => sql`when ${k} then ${asV1(v)}`),
        sql` `,
      )} end where secret`,
    );
    await rotateSecrets(db, { from: oldKey, to: oldKey });
    const after = await snapshot(db);
    for (const s of after.settings.filter((s) => s.secret)) {
      expect(s.value.startsWith("enc:v2:")).toBe(true);
      expect(decryptSecret(s.value, { bytes: oldKey.bytes })).toBe(
        plainSettings[s.key as keyof typeof plainSettings],
      );
    }
  });

  it("decrypts everything with --to-plaintext", async () => {
    const { db } = database();
    await storeFixtures(db, oldKey);
    const before = await snapshot(db);
    await rotateSecrets(db, { from: oldKey, to: null });
    const after = await snapshot(db);
    const secrets = opened(before, after, null);
    expect(secrets.settings).toEqual(plainSettings);
    expect(secrets.passwords).toEqual([plainPassword, null, undefined]);
    // A second run has nothing left to do.
    expect(await rotateSecrets(db, { from: null, to: null })).toEqual({
      settings: 0,
      dataSourcePasswords: 0,
    });
  });

  it("refuses a wrong or missing current key and changes nothing", async () => {
    const { db } = database();
    await storeFixtures(db, oldKey);
    const before = await snapshot(db);
    await expect(rotateSecrets(db, { from: wrongKey, to: newKey })).rejects.toThrow(
      RotationRefusedError,
    );
    await expect(rotateSecrets(db, { from: null, to: newKey })).rejects.toThrow(
      /Nothing was changed: 3 stored secret\(s\).*LIFTOFF_ENCRYPTION_KEY is not set/,
    );
    expect(await snapshot(db)).toEqual(before);
  });

  it("refuses when a single value is sealed with another key", async () => {
    const { db } = database();
    await storeFixtures(db, oldKey);
    await db.execute(
      sql`update settings set value = ${encryptSecret("x", wrongKey)} where key = 'slack-token'`,
    );
    const before = await snapshot(db);
    await expect(rotateSecrets(db, { from: oldKey, to: newKey })).rejects.toThrow(
      /1 stored secret\(s\) .*setting "slack-token"/,
    );
    expect(await snapshot(db)).toEqual(before);
  });

  it("says so when the secrets were rotated already", async () => {
    const { db } = database();
    await storeFixtures(db, oldKey);
    await rotateSecrets(db, { from: oldKey, to: newKey });
    await expect(rotateSecrets(db, { from: oldKey, to: newKey })).rejects.toThrow(
      /rotated already/,
    );
  });

  it("writes all or nothing when a write fails halfway", async () => {
    const { db } = database();
    await storeFixtures(db, oldKey);
    const before = await snapshot(db);
    // Settings are written first; a data-source write that fails must undo them.
    await db.execute(sql`
      create function refuse_write() returns trigger language plpgsql as
      $$ begin raise exception 'disk on fire'; end $$`);
    await db.execute(sql`
      create trigger refuse_write before update on data_sources
      for each row execute function refuse_write()`);
    try {
      await expect(rotateSecrets(db, { from: oldKey, to: newKey })).rejects.toThrow();
      expect(await snapshot(db)).toEqual(before);
    } finally {
      await db.execute(sql`drop trigger refuse_write on data_sources`);
      await db.execute(sql`drop function refuse_write()`);
    }
  });
});
