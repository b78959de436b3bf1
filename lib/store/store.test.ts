import { createHash } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { storeMigrations } from "@/db/schema";
import { describeEachEngine } from "@/lib/testing/engines";
import { callStore, createStoreMigration, instanceVersion } from "./testing/client";
import { startStoreHarness, waitForSettled, type StoreHarness } from "./testing/harness";

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

describeEachEngine("store: create, single upload, verify, restore", (database, engine) => {
  let harness: StoreHarness;
  beforeAll(async () => {
    harness = await startStoreHarness(database(), engine);
  });
  afterAll(() => harness.close());

  async function putArchive(
    created: Awaited<ReturnType<typeof createStoreMigration>>,
    data: Buffer,
  ) {
    const response = await fetch(created.upload_url, {
      method: "PUT",
      headers: created.upload_headers,
      body: new Uint8Array(data),
    });
    expect(response.status).toBe(200);
  }

  it("issues a token stored only as its hash and a URL that signs the SSE-KMS headers", async () => {
    const created = await createStoreMigration(harness);
    expect(created.external_id).toMatch(/^[0-9a-f]{24}$/);
    expect(created.upload_headers).toEqual({
      "x-amz-server-side-encryption": "aws:kms",
      "x-amz-server-side-encryption-aws-kms-key-id": "test-kms-key",
    });
    const signed = new URL(created.upload_url).searchParams.get("X-Amz-SignedHeaders");
    expect(signed?.split(";")).toEqual(
      expect.arrayContaining([
        "x-amz-server-side-encryption",
        "x-amz-server-side-encryption-aws-kms-key-id",
      ]),
    );
    const [row] = await database()
      .db.select()
      .from(storeMigrations)
      .where(eq(storeMigrations.externalId, created.external_id));
    expect(row?.tokenHash).toBe(createHash("sha256").update(created.token).digest("hex"));
    expect(JSON.stringify(row)).not.toContain(created.token);
  });

  it("fails a migration whose archive does not match the declared SHA-256, restoring nothing", async () => {
    const created = await createStoreMigration(harness);
    const data = Buffer.from("not the archive the instance made".repeat(100));
    await putArchive(created, data);
    const before = harness.targets.length;
    const reply = await callStore(harness, "POST", `/${created.external_id}/uploaded`, {
      token: created.token,
      body: { sha256: sha256(Buffer.from("something else")), size: data.length },
    });
    expect(reply.status).toBe(202);
    const settled = await waitForSettled(harness, created.external_id, created.token);
    expect(settled.status).toBe("failed");
    expect(settled.reason).toMatch(/Checksum mismatch.*Nothing was restored/);
    expect(settled.tables).toBeNull();
    expect(harness.targets.length).toBe(before);
  });

  it("refuses a declared size that differs from the object at once (422)", async () => {
    const created = await createStoreMigration(harness);
    const data = Buffer.alloc(1000, 7);
    await putArchive(created, data);
    const reply = await callStore(harness, "POST", `/${created.external_id}/uploaded`, {
      token: created.token,
      body: { sha256: sha256(data), size: 999 },
    });
    expect(reply).toMatchObject({
      status: 422,
      body: { error: { code: "unprocessable:size_mismatch" } },
    });
    const status = await callStore(harness, "GET", `/${created.external_id}`, {
      token: created.token,
    });
    expect(status.body).toMatchObject({ status: "failed", tables: null });
  });

  it("refuses 'uploaded' before anything was uploaded (409)", async () => {
    const created = await createStoreMigration(harness);
    const reply = await callStore(harness, "POST", `/${created.external_id}/uploaded`, {
      token: created.token,
      body: { sha256: "a".repeat(64), size: 10 },
    });
    expect(reply).toMatchObject({ status: 409, body: { error: { code: "conflict:object" } } });
  });

  it("refuses versions it cannot restore with 422 and a code, creating nothing", async () => {
    const count = async () => (await database().db.select().from(storeMigrations)).length;
    const before = await count();
    const newer = await callStore(harness, "POST", "", {
      token: harness.migrationKey,
      body: { ...instanceVersion, app_version: "9.0.0", instance_id: "i" },
    });
    expect(newer).toMatchObject({
      status: 422,
      body: { error: { code: "unprocessable:app_version" } },
    });
    expect(newer.body.error?.message).toMatch(/newer than the cloud/);
    const schema = await callStore(harness, "POST", "", {
      token: harness.migrationKey,
      body: { ...instanceVersion, schema_migration_id: "0099_future", instance_id: "i" },
    });
    expect(schema).toMatchObject({
      status: 422,
      body: { error: { code: "unprocessable:schema_version" } },
    });
    const garbage = await callStore(harness, "POST", "", {
      token: harness.migrationKey,
      body: { ...instanceVersion, app_version: "v-latest", instance_id: "i" },
    });
    expect(garbage.status).toBe(422);
    const invalid = await callStore(harness, "POST", "", {
      token: harness.migrationKey,
      body: { app_version: "0.1.0" },
    });
    expect(invalid).toMatchObject({ status: 400, body: { error: { code: "invalid:input" } } });
    expect(await count()).toBe(before);
  });
});
