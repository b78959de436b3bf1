import { afterAll, beforeAll, expect, it } from "vitest";
import { appVersion } from "@/lib/config/version";
import { describeEachEngine } from "@/lib/testing/engines";
import { callStore, instanceVersion } from "./testing/client";
import { startStoreHarness, type StoreHarness } from "./testing/harness";

describeEachEngine("store health", (database, engine) => {
  let harness: StoreHarness;
  beforeAll(async () => {
    harness = await startStoreHarness(database(), engine);
  });
  afterAll(() => harness.close());

  async function health(query: string, init: RequestInit = {}) {
    const response = await fetch(`${harness.api.url}/api/store/v1/health${query}`, init);
    return {
      status: response.status,
      cache: response.headers.get("cache-control"),
      body: (await response.json()) as Record<string, unknown>,
    };
  }

  const ask = (version: { app_version: string; schema_migration_id: string }) =>
    health("?" + new URLSearchParams(version).toString());

  /** Health must say what create would do: 201 exactly when it accepts. */
  async function expectSameAsCreate(version: typeof instanceVersion, accepts: boolean) {
    const created = await callStore(harness, "POST", "", {
      token: harness.migrationKey,
      body: { ...version, instance_id: "health-check" },
    });
    expect(created.status).toBe(accepts ? 201 : 422);
  }

  it("accepts this version and older ones without a token, and names the store's version", async () => {
    const same = await ask(instanceVersion);
    expect(same).toEqual({
      status: 200,
      cache: "no-store",
      body: {
        accepts: true,
        reason: null,
        store_version: appVersion,
        // What the instance seals the archive's secrets for: public, like the version.
        sealing_key: {
          id: harness.ctx.keys.sealing.keyId,
          public_key: harness.ctx.keys.sealing.publicKey,
        },
      },
    });
    await expectSameAsCreate(instanceVersion, true);
    const older = { ...instanceVersion, app_version: "0.0.1" };
    expect((await ask(older)).body).toMatchObject({ accepts: true, reason: null });
    await expectSameAsCreate(older, true);
  });

  it("refuses a newer app version with a reason", async () => {
    const newer = { ...instanceVersion, app_version: "9.0.0" };
    const reply = await ask(newer);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ accepts: false, store_version: appVersion });
    expect(reply.body.reason).toMatch(/runs Liftoff 9\.0\.0, newer than the cloud/);
    await expectSameAsCreate(newer, false);
    const garbage = await ask({ ...instanceVersion, app_version: "latest" });
    expect(garbage.body).toMatchObject({ accepts: false });
    expect(garbage.body.reason).toMatch(/not a version this store understands/);
  });

  it("refuses a schema migration the store does not know, with a reason", async () => {
    const unknown = { ...instanceVersion, schema_migration_id: "0099_from_the_future" };
    const reply = await ask(unknown);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ accepts: false, store_version: appVersion });
    expect(reply.body.reason).toMatch(/schema "0099_from_the_future" is unknown to the cloud/);
    await expectSameAsCreate(unknown, false);
  });

  it("answers a malformed query with 400 and another method with 405", async () => {
    const v = instanceVersion;
    for (const query of [
      "",
      `?app_version=${v.app_version}`,
      `?schema_migration_id=${v.schema_migration_id}`,
      `?app_version=&schema_migration_id=${v.schema_migration_id}`,
      `?app_version=${"1".repeat(65)}&schema_migration_id=${v.schema_migration_id}`,
      `?app_version=${v.app_version}&schema_migration_id=${v.schema_migration_id}&token=x`,
      `?app_version=${v.app_version}&app_version=9.0.0&schema_migration_id=${v.schema_migration_id}`,
    ]) {
      const reply = await health(query);
      expect({ query, ...reply }).toMatchObject({
        query,
        status: 400,
        body: { error: { code: "invalid:input" } },
      });
    }
    const post = await health(`?app_version=${v.app_version}`, { method: "POST", body: "{}" });
    expect(post.status).toBe(405);
  });
});
