import path from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { storeMigrations, type StoreMigration } from "@/db/schema";
import { describeEachEngine } from "@/lib/testing/engines";
import { adminUrl } from "@/lib/testing/databases";
import { callStore, createStoreMigration, createWithArchive } from "./testing/client";
import { startStoreHarness, waitForSettled, type StoreHarness } from "./testing/harness";
import { makeRealArchive, targetExists } from "./testing/real-archive";
import { abandonedCopyGraceMs, abandonedCopyReason, expiredUploadReason, sweepCron } from "./sweep";

/**
 * The sweep as the store runs it: a pg-boss job in the store's schema, on a
 * cron schedule. A migration left awaiting upload past its token's life is
 * aborted and its object deleted; a live one is left alone.
 */
describeEachEngine("store sweep of expired uploads", (database, engine) => {
  let harness: StoreHarness;
  beforeAll(async () => {
    harness = await startStoreHarness(database(), engine);
  });
  afterAll(() => harness.close());

  const row = async (externalId: string): Promise<StoreMigration> => {
    const [found] = await database()
      .db.select()
      .from(storeMigrations)
      .where(eq(storeMigrations.externalId, externalId));
    if (!found) throw new Error("no such migration");
    return found;
  };

  async function withObject() {
    const created = await createStoreMigration(harness);
    const put = await fetch(created.upload_url, {
      method: "PUT",
      headers: created.upload_headers,
      body: new Uint8Array(1024).fill(7),
    });
    expect(put.status).toBe(200);
    return created;
  }

  it("is scheduled by pg-boss in the store's schema", async () => {
    expect(await harness.ctx.restores.sweepSchedules()).toEqual([{ cron: sweepCron }]);
  });

  it("aborts an expired awaiting_upload migration and deletes its object, leaving a live one", async () => {
    const expired = await withObject();
    const multipart = await createStoreMigration(harness);
    const started = await callStore(harness, "POST", `/${multipart.external_id}/multipart`, {
      token: multipart.token,
      body: { size: 1024 },
    });
    expect(started.status).toBe(200);
    const live = await withObject();
    await database()
      .db.update(storeMigrations)
      .set({ tokenExpiresAt: new Date(Date.now() - 1000) })
      .where(eq(storeMigrations.externalId, expired.external_id));
    await database()
      .db.update(storeMigrations)
      .set({ tokenExpiresAt: new Date(Date.now() - 1000) })
      .where(eq(storeMigrations.externalId, multipart.external_id));
    const expiredKey = (await row(expired.external_id)).objectKey;
    expect(await harness.ctx.storage.head(expiredKey)).toEqual({ size: 1024 });

    // One occurrence of the schedule, run by the store's pg-boss worker.
    await harness.ctx.restores.sweepNow();
    const deadline = Date.now() + 30_000;
    while ((await row(expired.external_id)).state !== "aborted") {
      if (Date.now() > deadline) throw new Error("the sweep did not run");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await row(expired.external_id)).toMatchObject({
      state: "aborted",
      failureReason: expiredUploadReason,
    });
    expect(await harness.ctx.storage.head(expiredKey)).toBeNull();
    await expect.poll(async () => (await row(multipart.external_id)).state).toBe("aborted");

    const kept = await row(live.external_id);
    expect(kept.state).toBe("awaiting_upload");
    expect(await harness.ctx.storage.head(kept.objectKey)).toEqual({ size: 1024 });
    // The live one still takes its routes.
    const status = await callStore(harness, "GET", `/${live.external_id}`, { token: live.token });
    expect(status).toMatchObject({ status: 200, body: { status: "awaiting_upload" } });
  });

  it("drops a restored base whose last changes never came, an hour after its token expired", async () => {
    const archive = await makeRealArchive(engine, path.join(harness.tmp, "abandoned.tar"), {
      scale: 0.01,
    });
    const sweepUntil = async (externalId: string, state: string) => {
      await harness.ctx.restores.sweepNow();
      await expect.poll(async () => (await row(externalId)).state, { timeout: 30_000 }).toBe(state);
    };
    const baseRestored = async () => {
      const m = await createWithArchive(harness, archive.file);
      const uploaded = await callStore(harness, "POST", `/${m.external_id}/uploaded`, {
        token: m.token,
        body: { sha256: archive.sha256, size: archive.size, base: true },
      });
      expect(uploaded.status).toBe(202);
      expect((await waitForSettled(harness, m.external_id, m.token)).status).toBe("base_restored");
      return m;
    };
    const abandoned = await baseRestored();
    const waiting = await baseRestored();
    const expire = (externalId: string, agoMs: number) =>
      database()
        .db.update(storeMigrations)
        .set({ tokenExpiresAt: new Date(Date.now() - agoMs) })
        .where(eq(storeMigrations.externalId, externalId));
    // Expired within the grace: a delta taken before it expired may still be applying.
    await expire(abandoned.external_id, abandonedCopyGraceMs / 2);
    await expire(waiting.external_id, 1000);
    await harness.ctx.restores.sweepNow();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect((await row(abandoned.external_id)).state).toBe("base_restored");

    await expire(abandoned.external_id, abandonedCopyGraceMs + 1000);
    await sweepUntil(abandoned.external_id, "aborted");
    expect(await row(abandoned.external_id)).toMatchObject({
      state: "aborted",
      failureReason: abandonedCopyReason,
    });
    const target = harness.ctx.targets.locate(abandoned.external_id);
    expect(await targetExists(target, adminUrl())).toBe(false);
    // The other, within its grace, keeps its copy.
    expect((await row(waiting.external_id)).state).toBe("base_restored");
    expect(await targetExists(harness.ctx.targets.locate(waiting.external_id), adminUrl())).toBe(
      true,
    );
  });
});
