import path from "node:path";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { storeMigrations } from "@/db/schema";
import { describeEachEngine } from "@/lib/testing/engines";
import { callStore, createStoreMigration, createWithArchive } from "./testing/client";
import { startStoreHarness, waitForSettled, type StoreHarness } from "./testing/harness";
import {
  makeRealArchive,
  openTarget,
  targetDigests,
  type RealArchive,
} from "./testing/real-archive";
import { resumeStoreWork } from "./resume";

describeEachEngine("store resumes work a restart lost", (database, engine) => {
  let harness: StoreHarness;
  let archive: RealArchive;
  beforeAll(async () => {
    harness = await startStoreHarness(database(), engine);
    archive = await makeRealArchive(engine, path.join(harness.tmp, "source.tar"));
  });
  afterAll(() => harness.close());

  /**
   * A migration whose archive is in storage and whose row says `state`, as a
   * store that died mid-way leaves it: the background work is gone.
   */
  async function leftIn(state: "received" | "verifying" | "restoring") {
    const created = await createWithArchive(harness, archive.file);
    await database()
      .db.update(storeMigrations)
      .set({ state, declaredSha256: archive.sha256, declaredSize: archive.size })
      .where(eq(storeMigrations.externalId, created.external_id));
    return created;
  }

  const restoredTarget = (externalId: string) =>
    harness.targets
      .filter((t) => (t.engine === "postgres" ? t.database : t.dir).endsWith(externalId))
      .at(-1)!;

  it("verifies and restores again what was received, verifying or restoring, over a half-made target", async () => {
    const received = await leftIn("received");
    const verifying = await leftIn("verifying");
    const restoring = await leftIn("restoring");
    const waiting = await createStoreMigration(harness);
    // The lost restore had begun: its target exists and holds a table.
    const half = await harness.ctx.targets.create(restoring.external_id);
    const handle = await openTarget(half);
    await handle.db.execute(sql`create table half_made (id int)`);
    await handle.db.execute(sql`insert into half_made values (1)`);
    await handle.close();

    await new Promise((resolve) => setTimeout(resolve, 200));
    const status = async (m: { external_id: string; token: string }) =>
      (await callStore(harness, "GET", `/${m.external_id}`, { token: m.token })).body.status;
    expect(await status(restoring)).toBe("restoring"); // nothing finishes on its own

    const resumed = await resumeStoreWork(harness.ctx);
    expect([...resumed].sort()).toEqual(
      [received, verifying, restoring].map((m) => m.external_id).sort(),
    );
    for (const m of [received, verifying, restoring]) {
      const settled = await waitForSettled(harness, m.external_id, m.token);
      expect(settled).toMatchObject({ status: "restored", reason: null });
      expect(settled.tables).toEqual(archive.counts);
      expect(await targetDigests(restoredTarget(m.external_id))).toEqual(archive.digests);
    }
    expect(await status(waiting)).toBe("awaiting_upload");
    // Nothing is left to resume, and a restored migration is never restored twice.
    expect(await resumeStoreWork(harness.ctx)).toEqual([]);
  }, 120_000);

  it("fails a resumed migration whose archive is no longer what was declared", async () => {
    const m = await leftIn("verifying");
    await database()
      .db.update(storeMigrations)
      .set({ declaredSha256: "0".repeat(64) })
      .where(eq(storeMigrations.externalId, m.external_id));
    const before = harness.targets.length;
    expect(await resumeStoreWork(harness.ctx)).toEqual([m.external_id]);
    const settled = await waitForSettled(harness, m.external_id, m.token);
    expect(settled.status).toBe("failed");
    expect(settled.reason).toMatch(/Checksum mismatch/);
    // A bad archive is an outcome, not an interruption: its job is done, not retried.
    expect(await harness.ctx.restores.lastJobState(m.external_id)).toBe("completed");
    expect(harness.targets.length).toBe(before);
  });
});
