import { createHash } from "node:crypto";
import path from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { storeMigrations } from "@/db/schema";
import { adminUrl, describeEachEngine } from "@/lib/testing/engines";
import { callStore, createStoreMigration, createWithArchive } from "./testing/client";
import { startStoreHarness, waitForSettled, type StoreHarness } from "./testing/harness";
import { makeRealArchive, targetDigests, targetExists } from "./testing/real-archive";

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

  it("takes deltas only from its own migration, in order, once its base is restored", async () => {
    const archive = await makeRealArchive(engine, path.join(harness.tmp, "base.tar"), {
      scale: 0.01,
    });
    const m = await createWithArchive(harness, archive.file);
    const theirs = await createStoreMigration(harness, "instance-b");
    const route = `/${m.external_id}`;
    const sha = "a".repeat(64);
    // `null`: no token at all.
    const deltaUrl = (round: unknown, token: string | null = m.token) =>
      callStore(harness, "POST", `${route}/delta-url`, {
        token: token ?? undefined,
        body: { round },
      });
    const delta = (body: unknown, token: string | null = m.token) =>
      callStore(harness, "POST", `${route}/delta`, { token: token ?? undefined, body });
    const stored = async () =>
      (
        await database()
          .db.select()
          .from(storeMigrations)
          .where(eq(storeMigrations.externalId, m.external_id))
      )[0]!;

    // Before its base is restored: no delta, whatever the round.
    expect(await deltaUrl(1)).toMatchObject({
      status: 409,
      body: { error: { code: "conflict:state" } },
    });
    expect(await delta({ round: 1, sha256: sha, size: 1 })).toMatchObject({
      status: 409,
      body: { error: { code: "conflict:state" } },
    });
    expect((await stored()).state).toBe("awaiting_upload");

    const uploaded = await callStore(harness, "POST", `${route}/uploaded`, {
      token: m.token,
      body: { sha256: archive.sha256, size: archive.size, base: true },
    });
    expect(uploaded.status).toBe(202);
    expect((await waitForSettled(harness, m.external_id, m.token)).status).toBe("base_restored");
    const target = harness.ctx.targets.locate(m.external_id);
    const copyBefore = await targetDigests(target);

    // Outsiders: no token, a wrong one, another migration's.
    for (const call of [
      () => deltaUrl(1, null),
      () => delta({ round: 1, sha256: sha, size: 1 }, null),
      () => deltaUrl(1, "lft_mig_" + "x".repeat(43)),
    ]) {
      expect(await call()).toMatchObject({
        status: 401,
        body: { error: { code: "unauthorized:token" } },
      });
    }
    for (const call of [
      () => deltaUrl(1, theirs.token),
      () => delta({ round: 1, sha256: sha, size: 1 }, theirs.token),
    ]) {
      expect(await call()).toMatchObject({
        status: 403,
        body: { error: { code: "forbidden:migration" } },
      });
    }
    // Bad bodies.
    for (const body of [
      { round: 0 },
      { round: -1 },
      { round: 1.5 },
      { round: "1" },
      { round: 1001 },
      { round: 1, extra: true },
    ]) {
      const reply = await callStore(harness, "POST", `${route}/delta-url`, {
        token: m.token,
        body,
      });
      expect(reply, JSON.stringify(body)).toMatchObject({
        status: 400,
        body: { error: { code: "invalid:input" } },
      });
    }
    for (const body of [
      { round: 0, sha256: sha, size: 1 },
      { round: 1, sha256: "xyz", size: 1 },
      { round: 1, sha256: "g".repeat(64), size: 1 },
      { round: 1, sha256: sha, size: -1 },
      { round: 1, sha256: sha },
    ]) {
      expect(await delta(body), JSON.stringify(body)).toMatchObject({
        status: 400,
        body: { error: { code: "invalid:input" } },
      });
    }
    // Rounds out of order: the next is 1.
    expect(await deltaUrl(2)).toMatchObject({
      status: 409,
      body: { error: { code: "conflict:delta_round" } },
    });
    expect(await delta({ round: 2, sha256: sha, size: 1 })).toMatchObject({
      status: 409,
      body: { error: { code: "conflict:delta_round" } },
    });
    // Round 1 declared before anything was uploaded for it.
    expect(await delta({ round: 1, sha256: sha, size: 1 })).toMatchObject({
      status: 409,
      body: { error: { code: "conflict:object" } },
    });
    // Uploaded, but not what is declared.
    const url = await deltaUrl(1);
    expect(url.status).toBe(200);
    const bytes = Buffer.from("not the delta that was declared");
    const put = await fetch(url.body.upload_url as string, {
      method: "PUT",
      headers: url.body.upload_headers as Record<string, string>,
      body: new Uint8Array(bytes),
    });
    expect(put.status).toBe(200);
    const actual = createHash("sha256").update(bytes).digest("hex");
    expect(await delta({ round: 1, sha256: sha, size: bytes.length })).toMatchObject({
      status: 422,
      body: { error: { code: "unprocessable:checksum_mismatch" } },
    });
    // What was uploaded is no delta: refused, and the copy is dropped with it.
    // (Before that: nothing above changed the migration or its copy.)
    const after = await stored();
    expect(after.state).toBe("base_restored");
    expect(after.deltaRound).toBe(0);
    expect(await targetDigests(target)).toEqual(copyBefore);
    const garbage = await delta({ round: 1, sha256: actual, size: bytes.length });
    expect(garbage.status).toBe(422);
    expect(garbage.body.error?.code).toMatch(/^unprocessable:delta_/);
    expect((await stored()).state).toBe("failed");
    expect(await targetExists(target, adminUrl())).toBe(false);
    // A real archive restored on PGlite, on a busy machine: more than the default 30 s.
  }, 120_000);
});
