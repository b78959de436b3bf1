import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { newSealingPrivateKey, sealForStore, sealingKeyPair } from "@/lib/secrets/sealed-box";
import { adminUrl, describeEachEngine } from "@/lib/testing/engines";
import {
  callStore,
  createStoreMigration,
  createWithArchive,
  instanceVersion,
} from "./testing/client";
import { startStoreHarness, waitForSettled, type StoreHarness } from "./testing/harness";
import { makeRealArchive, targetExists } from "./testing/real-archive";

describeEachEngine("store sealing key", (database, engine) => {
  let harness: StoreHarness;
  beforeAll(async () => {
    harness = await startStoreHarness(database(), engine);
  });
  afterAll(() => harness.close());

  it("publishes its public key, the same on create and health, kept in a 0600 file", async () => {
    const created = await createStoreMigration(harness);
    const { sealing } = harness.ctx.keys;
    const published = (created as unknown as { sealing_key: unknown }).sealing_key;
    expect(published).toEqual({ id: sealing.keyId, public_key: sealing.publicKey });
    const health = (await (
      await fetch(
        `${harness.api.url}/api/store/v1/health?${new URLSearchParams(instanceVersion).toString()}`,
      )
    ).json()) as { sealing_key: unknown };
    expect(health.sealing_key).toEqual(published);
    const file = path.join(harness.tmp, "store-keys", "sealing-key");
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.stringify(published)).not.toContain(fs.readFileSync(file, "utf8").trim());
  });

  it("refuses an archive sealed for another store's key before writing anything, and drops the target", async () => {
    const other = sealingKeyPair(newSealingPrivateKey());
    const archive = await makeRealArchive(engine, path.join(harness.tmp, "other-store.tar"), {
      secrets: { mode: "store", instanceKey: null, storeSeal: sealForStore(other.publicKey) },
    });
    expect(archive.manifest.secrets.count).toBeGreaterThan(0);
    const created = await createWithArchive(harness, archive.file);
    const before = harness.targets.length;
    const reply = await callStore(harness, "POST", `/${created.external_id}/uploaded`, {
      token: created.token,
      body: { sha256: archive.sha256, size: archive.size },
    });
    expect(reply.status).toBe(202);
    const settled = await waitForSettled(harness, created.external_id, created.token);
    expect(settled.status).toBe("failed");
    expect(settled.reason).toMatch(
      new RegExp(
        `^Restore failed: The archive's secrets are sealed for the store key ${other.keyId}, not for this store's \\(${harness.ctx.keys.sealing.keyId}\\).*Nothing was restored\\.$`,
      ),
    );
    expect(harness.targets.length).toBe(before + 1);
    expect(await targetExists(harness.targets.at(-1)!, adminUrl())).toBe(false);
  }, 180_000);
});
