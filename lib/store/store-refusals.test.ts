import { eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { storeMigrations } from "@/db/schema";
import { describeEachEngine } from "@/lib/testing/engines";
import { callStore, createStoreMigration } from "./testing/client";
import { startStoreHarness, type StoreHarness } from "./testing/harness";

const MiB = 1024 * 1024;

describeEachEngine("store refusals", (database, engine) => {
  let harness: StoreHarness;
  beforeAll(async () => {
    harness = await startStoreHarness(database(), engine);
  });
  afterAll(() => harness.close());

  it("refuses a missing, wrong or expired token, and another migration's token", async () => {
    const mine = await createStoreMigration(harness, "instance-a");
    const theirs = await createStoreMigration(harness, "instance-b");
    const route = `/${mine.external_id}`;
    expect(await callStore(harness, "GET", route)).toMatchObject({
      status: 401,
      body: { error: { code: "unauthorized:token" } },
    });
    const wrong = await callStore(harness, "GET", route, { token: "lft_mig_" + "x".repeat(43) });
    expect(wrong).toMatchObject({ status: 401, body: { error: { code: "unauthorized:token" } } });
    const other = await callStore(harness, "POST", `${route}/multipart`, {
      token: theirs.token,
      body: { size: 20 * MiB },
    });
    expect(other).toMatchObject({ status: 403, body: { error: { code: "forbidden:migration" } } });
    await database()
      .db.update(storeMigrations)
      .set({ tokenExpiresAt: new Date(Date.now() - 1000) })
      .where(eq(storeMigrations.externalId, mine.external_id));
    const expired = await callStore(harness, "GET", route, { token: mine.token });
    expect(expired).toMatchObject({
      status: 401,
      body: { error: { code: "unauthorized:token_expired" } },
    });
    const [row] = await database()
      .db.select()
      .from(storeMigrations)
      .where(eq(storeMigrations.externalId, mine.external_id));
    expect(row?.uploadId).toBeNull(); // the other migration's token started nothing here
  });

  it("refuses part numbers out of range, part lists that do not match, and a stale upload id", async () => {
    const m = await createStoreMigration(harness);
    const route = `/${m.external_id}/multipart`;
    const started = await callStore(harness, "POST", route, {
      token: m.token,
      body: { size: 12 * MiB, part_size: 1 },
    });
    expect(started.status).toBe(200);
    // A part size below S3's minimum is raised to 5 MiB: 12 MiB → 3 parts.
    expect(started.body).toMatchObject({ part_size: 5 * MiB, part_count: 3 });
    const uploadId = started.body.upload_id as string;
    const urls = (n: number[]) =>
      callStore(harness, "POST", `${route}/urls`, {
        token: m.token,
        body: { upload_id: uploadId, parts: n },
      });
    expect(await urls([4])).toMatchObject({
      status: 400,
      body: { error: { code: "invalid:part_number" } },
    });
    expect(await urls([0])).toMatchObject({
      status: 400,
      body: { error: { code: "invalid:part_number" } },
    });
    expect((await urls([2])).status).toBe(200);
    const etag = '"0123456789abcdef0123456789abcdef"';
    const complete = (parts: { n: number; etag: string }[], id = uploadId) =>
      callStore(harness, "POST", `${route}/complete`, {
        token: m.token,
        body: { upload_id: id, parts },
      });
    const missing = await complete([
      { n: 1, etag },
      { n: 3, etag },
    ]);
    expect(missing).toMatchObject({ status: 400, body: { error: { code: "invalid:parts" } } });
    expect(missing.body.error?.message).toMatch(/part 2 missing/);
    const twice = await complete([
      { n: 1, etag },
      { n: 1, etag },
      { n: 2, etag },
      { n: 3, etag },
    ]);
    expect(twice).toMatchObject({ status: 400, body: { error: { code: "invalid:parts" } } });
    const extra = await complete([1, 2, 3, 4].map((n) => ({ n, etag })));
    expect(extra).toMatchObject({ status: 400, body: { error: { code: "invalid:part_number" } } });
    const badEtag = await complete([{ n: 1, etag: "<xml>" }]);
    expect(badEtag).toMatchObject({ status: 400, body: { error: { code: "invalid:input" } } });
    const stale = await complete(
      [1, 2, 3].map((n) => ({ n, etag })),
      "another-upload",
    );
    expect(stale).toMatchObject({ status: 409, body: { error: { code: "conflict:upload_id" } } });
    const declared = await callStore(harness, "POST", `/${m.external_id}/uploaded`, {
      token: m.token,
      body: { sha256: "a".repeat(64), size: 12 * MiB },
    });
    expect(declared).toMatchObject({
      status: 409,
      body: { error: { code: "conflict:upload_id" } },
    });
  });

  it("records an abort (even where the storage cannot abort multipart) and then takes nothing more", async () => {
    const m = await createStoreMigration(harness);
    const started = await callStore(harness, "POST", `/${m.external_id}/multipart`, {
      token: m.token,
      body: { size: 6 * MiB },
    });
    expect(started.status).toBe(200);
    const aborted = await callStore(harness, "DELETE", `/${m.external_id}`, { token: m.token });
    expect(aborted).toMatchObject({
      status: 200,
      body: { status: "aborted", multipart: "not_supported" },
    });
    const again = await callStore(harness, "POST", `/${m.external_id}/multipart`, {
      token: m.token,
      body: { size: 6 * MiB },
    });
    expect(again).toMatchObject({ status: 409, body: { error: { code: "conflict:state" } } });
    const before = harness.targets.length;
    const declared = await callStore(harness, "POST", `/${m.external_id}/uploaded`, {
      token: m.token,
      body: { sha256: "a".repeat(64), size: 1 },
    });
    expect(declared.status).toBe(409);
    expect(harness.targets.length).toBe(before);
  });

  it("answers unknown routes and malformed ids with 404 and bad JSON with 400", async () => {
    const m = await createStoreMigration(harness);
    expect((await callStore(harness, "GET", "/not-an-id", { token: m.token })).status).toBe(404);
    expect(
      (await callStore(harness, "POST", `/${m.external_id}/nope`, { token: m.token, body: {} }))
        .status,
    ).toBe(404);
    const response = await fetch(
      `${harness.api.url}/api/store/v1/migrations/${m.external_id}/multipart`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${m.token}` },
        body: "{not json",
      },
    );
    expect(response.status).toBe(400);
  });
});
