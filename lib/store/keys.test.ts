import { createHash } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import { storeMigrations } from "@/db/schema";
import { describeEachEngine } from "@/lib/testing/engines";
import { defaultEnrolmentPolicy, issueKey, revokeKey } from "./keys";
import { callStore, createStoreMigration, instanceVersion } from "./testing/client";
import { startStoreHarness, type StoreHarness } from "./testing/harness";

/**
 * Enrolment over HTTP against the real store (routes, s3rver, both
 * engines): no key, wrong key, revoked key, a good one, and the key's limits.
 */
describeEachEngine("store migration keys", (database, engine) => {
  let harness: StoreHarness;
  beforeAll(async () => {
    harness = await startStoreHarness(database(), engine);
  });
  afterAll(() => harness.close());
  beforeEach(async () => {
    // Each test starts with a clean slate of rate-limit counts and the harness's policy.
    harness.ctx.enrolment = {
      ...defaultEnrolmentPolicy,
      perKey: { budget: 100_000, windowMs: 60_000 },
    };
    await database().db.execute(
      sql`delete from liftoff_cluster.sign_in_throttle where key like 'store-%'`,
    );
  });

  const create = (key?: string) =>
    callStore(harness, "POST", "", {
      token: key,
      body: { ...instanceVersion, instance_id: "keys-test" },
    });
  const keyCheck = (key?: string) =>
    callStore(harness, "GET", "", { token: key }, "/api/store/v1/key");
  const count = async () => (await database().db.select().from(storeMigrations)).length;

  it("answers 401 without a key and 403 for a wrong or malformed one, opening nothing", async () => {
    const before = await count();
    const none = await create();
    expect(none).toMatchObject({
      status: 401,
      body: { error: { code: "unauthorized:migration_key" } },
    });
    expect(none.body.error?.message).toMatch(/migration key is required/);
    const wrong = await create(`lok_${"A".repeat(43)}`);
    expect(wrong).toMatchObject({
      status: 403,
      body: { error: { code: "forbidden:migration_key" } },
    });
    const malformed = await create("not-a-key-at-all-but-long");
    expect(malformed).toMatchObject({
      status: 403,
      body: { error: { code: "forbidden:migration_key" } },
    });
    // The right prefix, the wrong rest: the hash decides, not the prefix.
    const sameStart = harness.migrationKey.slice(0, 20) + "A".repeat(27);
    expect((await create(sameStart)).status).toBe(403);
    expect((await keyCheck()).status).toBe(401);
    expect((await keyCheck(`lok_${"A".repeat(43)}`)).status).toBe(403);
    expect(await count()).toBe(before);
  });

  it("opens a migration for a valid key, records which key, and names the key on GET /key", async () => {
    const issued = await issueKey(database().db, { label: "team blue" });
    const reply = await create(issued.key);
    expect(reply.status).toBe(201);
    const [row] = await database()
      .db.select()
      .from(storeMigrations)
      .where(eq(storeMigrations.externalId, String(reply.body.external_id)));
    expect(row?.keyId).toBe(issued.id);
    expect(await keyCheck(issued.key)).toMatchObject({
      status: 200,
      body: { label: "team blue", prefix: issued.key.slice(0, 12) },
    });
  });

  it("answers 403 for a revoked key, on create and on the key check", async () => {
    const issued = await issueKey(database().db, { label: "revoked soon" });
    expect((await create(issued.key)).status).toBe(201);
    await revokeKey(database().db, String(issued.id));
    const before = await count();
    const refused = await create(issued.key);
    expect(refused).toMatchObject({
      status: 403,
      body: { error: { code: "forbidden:migration_key_revoked" } },
    });
    expect(refused.body.error?.message).toMatch(/revoked/);
    expect((await keyCheck(issued.key)).status).toBe(403);
    expect(await count()).toBe(before);
  });

  it("refuses a key's next migration with 429 at its open-migrations limit, until one ends", async () => {
    const issued = await issueKey(database().db, { label: "two at most", maxOpenMigrations: 2 });
    const first = await createStoreMigration(harness, "a", issued.key);
    const second = await createStoreMigration(harness, "b", issued.key);
    const third = await create(issued.key);
    expect(third).toMatchObject({
      status: 429,
      body: { error: { code: "rate_limited:open_migrations" } },
    });
    expect(third.body.error?.message).toMatch(/already has 2 open migrations/);
    // Another key is not held back by this one's.
    expect((await create(harness.migrationKey)).status).toBe(201);
    // One aborted: room for one more.
    expect(
      (await callStore(harness, "DELETE", `/${first.external_id}`, { token: first.token })).status,
    ).toBe(200);
    expect((await create(issued.key)).status).toBe(201);
    expect((await create(issued.key)).status).toBe(429);
    // One whose token expired no longer counts (the sweep ends it).
    await database()
      .db.update(storeMigrations)
      .set({ tokenExpiresAt: new Date(Date.now() - 1000) })
      .where(eq(storeMigrations.externalId, second.external_id));
    expect((await create(issued.key)).status).toBe(201);
  });

  it("refuses bytes over the key's limit with 413, at multipart start and at `uploaded`", async () => {
    const issued = await issueKey(database().db, { label: "1000 bytes", maxBytes: 1000 });
    const a = await createStoreMigration(harness, "a", issued.key);
    const b = await createStoreMigration(harness, "b", issued.key);
    const started = await callStore(harness, "POST", `/${a.external_id}/multipart`, {
      token: a.token,
      body: { size: 600 },
    });
    expect(started.status).toBe(200);
    const over = await callStore(harness, "POST", `/${b.external_id}/multipart`, {
      token: b.token,
      body: { size: 600 },
    });
    expect(over).toMatchObject({ status: 413, body: { error: { code: "too_large:key_bytes" } } });
    expect(over.body.error?.message).toMatch(
      /over its limit of 1000 bytes \(600 bytes already open\)/,
    );
    // A single PUT's size is first told at `uploaded`: 600 + 500 > 1000.
    const put = await fetch(b.upload_url, {
      method: "PUT",
      headers: b.upload_headers,
      body: new Uint8Array(500),
    });
    expect(put.status).toBe(200);
    const uploaded = await callStore(harness, "POST", `/${b.external_id}/uploaded`, {
      token: b.token,
      body: { sha256: "0".repeat(64), size: 500 },
    });
    expect(uploaded).toMatchObject({
      status: 413,
      body: { error: { code: "too_large:key_bytes" } },
    });
    const [row] = await database()
      .db.select()
      .from(storeMigrations)
      .where(eq(storeMigrations.externalId, b.external_id));
    expect(row?.state).toBe("awaiting_upload");
    // Within the limit it goes through.
    const fits = await callStore(harness, "POST", `/${b.external_id}/multipart`, {
      token: b.token,
      body: { size: 400 },
    });
    expect(fits.status).toBe(200);
  });

  it("rate-limits requests per key with 429 and Retry-After", async () => {
    const issued = await issueKey(database().db, { label: "chatty" });
    harness.ctx.enrolment = { ...harness.ctx.enrolment, perKey: { budget: 3, windowMs: 60_000 } };
    for (let i = 0; i < 3; i++) expect((await keyCheck(issued.key)).status).toBe(200);
    const response = await fetch(`${harness.api.url}/api/store/v1/key`, {
      headers: { authorization: `Bearer ${issued.key}` },
    });
    expect(response.status).toBe(429);
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
    const body = (await response.json()) as { error: { code: string } };
    expect(body.error.code).toBe("rate_limited:migration_key");
    // Another key has its own budget.
    expect((await keyCheck(harness.migrationKey)).status).toBe(200);
  });

  it("rate-limits failed key attempts per caller; good keys do not use the budget up", async () => {
    harness.ctx.enrolment = {
      ...harness.ctx.enrolment,
      perCallerFailures: { budget: 3, windowMs: 60_000 },
    };
    const wrong = `lok_${"B".repeat(43)}`;
    expect((await keyCheck(wrong)).status).toBe(403);
    expect((await keyCheck(wrong)).status).toBe(403);
    for (let i = 0; i < 5; i++) expect((await keyCheck(harness.migrationKey)).status).toBe(200);
    expect((await keyCheck(wrong)).status).toBe(403);
    const blocked = await keyCheck(wrong);
    expect(blocked).toMatchObject({
      status: 429,
      body: { error: { code: "rate_limited:key_attempts" } },
    });
    // The caller is held back whatever it presents next, until the window ends.
    expect((await keyCheck(harness.migrationKey)).status).toBe(429);
    const rows = await database().db.execute(
      sql`select key from liftoff_cluster.sign_in_throttle where key like ${"store-caller:%"}`,
    );
    expect(JSON.stringify(rows)).toContain("store-caller:127.0.0.1");
  });

  it("keeps only the key's hash", async () => {
    const issued = await issueKey(database().db, { label: "hashed" });
    const stored = await database().db.execute(
      sql`select * from store.migration_keys where id = ${issued.id}`,
    );
    expect(JSON.stringify(stored)).not.toContain(issued.key.slice(4));
    expect(JSON.stringify(stored)).toContain(createHash("sha256").update(issued.key).digest("hex"));
  });
});
