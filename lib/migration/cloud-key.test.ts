import fs from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import { auditLog, settings } from "@/db/schema";
import type { Actor } from "@/lib/auth";
import { deriveSecretKey } from "@/lib/secrets/cipher";
import { CLOUD_KEY_SETTING } from "@/lib/settings/instance-only";
import { issueKey, revokeKey } from "@/lib/store/keys";
import { describeEachEngine } from "@/lib/testing/engines";
import { insertUser } from "@/lib/testing/fixtures";
import { cloudKeySummary, resolveCloudKey, saveCloudKey } from "./cloud-key";
import { startMigration } from "./control";
import { runPreflight } from "./preflight";
import { recentMigrations } from "./row";
import { startMigrationRig, type MigrationRig } from "./testing/rig";

/**
 * The instance's migration key against a real store: where it comes from,
 * the pre-flight's "Cloud key" check, and the store's refusal reaching the
 * admin when a migration starts.
 */
describeEachEngine("the instance's cloud key", (database, engine) => {
  let rig: MigrationRig;
  let admin: Actor;
  beforeAll(async () => {
    admin = await insertUser(database().db, { role: "admin" });
    rig = await startMigrationRig(database(), engine);
  });
  afterAll(() => rig?.close());
  beforeEach(async () => {
    await database().db.delete(settings).where(eq(settings.key, CLOUD_KEY_SETTING));
    rig.context.cloudKey = { env: rig.store.migrationKey, file: null };
  });

  const keyCheck = async () => (await runPreflight(rig.context)).find((c) => c.id === "cloud_key");

  it("passes with the key's label when the store knows the key", async () => {
    expect(await keyCheck()).toMatchObject({
      title: "Cloud key",
      status: "pass",
      detail: `The key ${rig.store.migrationKey.slice(0, 12)}… (from LIFTOFF_CLOUD_KEY) is enrolled as “store tests”.`,
    });
  });

  it("fails with what to do when there is no key, a wrong one or a revoked one", async () => {
    rig.context.cloudKey = { env: null, file: null };
    const none = await keyCheck();
    expect(none).toMatchObject({ status: "fail" });
    expect(none!.detail).toMatch(/has no migration key\. Ask the cloud's operator/);

    rig.context.cloudKey = { env: `lok_${"Z".repeat(43)}`, file: null };
    const wrong = await keyCheck();
    expect(wrong).toMatchObject({ status: "fail" });
    expect(wrong!.detail).toBe(
      "The cloud store refused this instance's migration key: This migration key is not valid. Paste a valid key on Settings.",
    );

    const issued = await issueKey(database().db, { label: "to revoke" });
    await revokeKey(database().db, String(issued.id));
    rig.context.cloudKey = { env: issued.key, file: null };
    const revoked = await keyCheck();
    expect(revoked).toMatchObject({ status: "fail" });
    expect(revoked!.detail).toMatch(/This migration key was revoked/);
  });

  it("takes the key pasted on Settings first (stored encrypted), then the env, then the file", async () => {
    const dir = fs.mkdtempSync(path.join(rig.store.tmp, "key-file-"));
    const file = path.join(dir, "local-instance.key");
    const fromFile = await issueKey(database().db, { label: "from a file" });
    fs.writeFileSync(file, fromFile.key + "\n");
    rig.context.cloudKey = { env: null, file };
    expect(await resolveCloudKey(database().db, null, rig.context.cloudKey)).toEqual({
      key: fromFile.key,
      source: "file",
    });
    expect((await keyCheck())!.detail).toMatch(
      /from LIFTOFF_CLOUD_KEY_FILE\) is enrolled as “from a file”/,
    );

    rig.context.cloudKey = { env: rig.store.migrationKey, file };
    expect((await resolveCloudKey(database().db, null, rig.context.cloudKey))?.source).toBe("env");

    const secretKey = deriveSecretKey("cloud-key-test-encryption-key");
    const pasted = await issueKey(database().db, { label: "pasted by the admin" });
    await saveCloudKey(database().db, admin, pasted.key, secretKey);
    const [stored] = await database()
      .db.select()
      .from(settings)
      .where(eq(settings.key, CLOUD_KEY_SETTING));
    expect(stored?.secret).toBe(true);
    expect(stored?.value).not.toContain(pasted.key.slice(4));
    expect(await resolveCloudKey(database().db, secretKey, rig.context.cloudKey)).toEqual({
      key: pasted.key,
      source: "settings",
    });
    expect(await cloudKeySummary(database().db, secretKey, rig.context.cloudKey)).toEqual({
      source: "settings",
      prefix: pasted.key.slice(0, 12),
    });
    const [audit] = await database()
      .db.select()
      .from(auditLog)
      .where(eq(auditLog.action, "cloud_key.set"));
    expect(JSON.stringify(audit)).not.toContain(pasted.key.slice(12));

    await expect(saveCloudKey(database().db, admin, "lok_short", secretKey)).rejects.toMatchObject({
      code: "invalid:cloud_key",
    });
    const member = await insertUser(database().db, { role: "user" });
    await expect(saveCloudKey(database().db, member, pasted.key, secretKey)).rejects.toMatchObject({
      code: "forbidden:admin",
    });
    await saveCloudKey(database().db, admin, null, secretKey);
    expect((await resolveCloudKey(database().db, secretKey, rig.context.cloudKey))?.source).toBe(
      "env",
    );
  });

  it("a migration started with a revoked key ends in error with the store's words", async () => {
    const issued = await issueKey(database().db, { label: "revoked before the start" });
    await revokeKey(database().db, String(issued.id));
    rig.context.cloudKey = { env: issued.key, file: null };
    await expect(
      startMigration(rig.context, admin, { afterDone: "writable" }),
    ).rejects.toMatchObject({ code: "invalid:cloud_key" });
    const [latest] = await recentMigrations(database().db, 1);
    expect(latest?.state).toBe("error");
    expect(latest?.error).toBe(
      "The cloud store refused this instance's migration key: This migration key was revoked. Paste a valid key on Settings.",
    );
  });
});
