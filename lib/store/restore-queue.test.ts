import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { rowsOf } from "@/db/rows";
import { describeEachEngine } from "@/lib/testing/engines";
import { restoreQueueName, storeBossSchema } from "./restore-queue";
import type { ArchiveRestorer } from "./restorer";
import { callStore, createStoreMigration, createWithArchive } from "./testing/client";
import { startStoreHarness, waitForSettled, type StoreHarness } from "./testing/harness";
import { makeRealArchive, targetDigests, type RealArchive } from "./testing/real-archive";

async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Wraps the real restorer: counts restores under way (and the most at once),
 * and holds each one at the door until the test opens it. The real restore
 * runs once the door is open.
 */
function watchedRestorer() {
  let open!: () => void;
  const door = new Promise<void>((resolve) => (open = resolve));
  const watch = { running: 0, most: 0, calls: 0, open: () => open() };
  const wrap =
    (real: ArchiveRestorer): ArchiveRestorer =>
    async (archive, target, limits) => {
      watch.calls += 1;
      watch.running += 1;
      watch.most = Math.max(watch.most, watch.running);
      try {
        await door;
        return await real(archive, target, limits);
      } finally {
        watch.running -= 1;
      }
    };
  return { watch, wrap };
}

describeEachEngine("store restores run as jobs in line", (database, engine) => {
  let harness: StoreHarness;
  let archive: RealArchive;
  beforeAll(async () => {
    harness = await startStoreHarness(database(), engine);
    archive = await makeRealArchive(engine, path.join(harness.tmp, "source.tar"), { scale: 0.01 });
  });
  afterAll(() => harness.close());

  type Created = Awaited<ReturnType<typeof createStoreMigration>>;

  async function uploadedAtOnce(count: number): Promise<Created[]> {
    const migrations: Created[] = [];
    for (let i = 0; i < count; i++) {
      const created = await createWithArchive(harness, archive.file);
      migrations.push(created);
    }
    const replies = await Promise.all(
      migrations.map((m) =>
        callStore(harness, "POST", `/${m.external_id}/uploaded`, {
          token: m.token,
          body: { sha256: archive.sha256, size: archive.size },
        }),
      ),
    );
    for (const reply of replies)
      expect(reply).toMatchObject({ status: 202, body: { status: "received" } });
    return migrations;
  }

  const statusOf = async (m: Created) =>
    (await callStore(harness, "GET", `/${m.external_id}`, { token: m.token })).body as {
      external_id: string;
      status: string;
      queue_position: number | null;
    };

  async function expectAllRestored(migrations: Created[]) {
    for (const m of migrations) {
      const settled = await waitForSettled(harness, m.external_id, m.token, 180_000);
      expect(settled).toMatchObject({ status: "restored", reason: null });
      expect(settled.tables).toEqual(archive.counts);
    }
  }

  it("with one worker, five uploaded at once restore one at a time, each told its place in line", async () => {
    const { watch, wrap } = watchedRestorer();
    await harness.restartRestores({ workers: 1, restorer: wrap });
    const migrations = await uploadedAtOnce(5);

    // A repeated `uploaded` puts nothing more in line.
    const again = await callStore(harness, "POST", `/${migrations[0]!.external_id}/uploaded`, {
      token: migrations[0]!.token,
      body: { sha256: archive.sha256, size: archive.size },
    });
    expect(again.status).toBe(202);
    const [jobs] = rowsOf<{ count: number | string }>(
      await database().db.execute(
        sql`select count(*) as count from ${sql.identifier(storeBossSchema)}.job
            where data->>'externalId' = ${migrations[0]!.external_id}`,
      ),
    );
    expect(Number(jobs?.count)).toBe(1);

    await until(() => watch.running === 1, "the first restore to start");
    // Give a second worker, if there were one, time to take a job.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const statuses = await Promise.all(migrations.map(statusOf));
    const running = statuses.filter((s) => s.status === "restoring");
    const waiting = statuses.filter((s) => s.status === "received");
    expect(running).toHaveLength(1);
    expect(running[0]!.queue_position).toBeNull();
    expect(waiting).toHaveLength(4);
    // In the order the jobs were put in line (the `uploaded` calls raced each other).
    const inLine = rowsOf<{ external_id: string }>(
      await database().db.execute(
        sql`select data->>'externalId' as external_id from ${sql.identifier(storeBossSchema)}.job
            where name = ${restoreQueueName} and state = 'created' order by created_on`,
      ),
    ).map((r) => r.external_id);
    expect(inLine).toHaveLength(4);
    const byId = new Map(statuses.map((s) => [s.external_id, s.queue_position]));
    expect(inLine.map((id) => byId.get(id))).toEqual([1, 2, 3, 4]);

    watch.open();
    await expectAllRestored(migrations);
    expect(watch.most).toBe(1);
    expect(watch.calls).toBe(5);
    // Settled migrations have no place in line.
    for (const s of await Promise.all(migrations.map(statusOf)))
      expect(s.queue_position).toBeNull();
  }, 300_000);

  it("with two workers, two restore at once", async () => {
    const { watch, wrap } = watchedRestorer();
    await harness.restartRestores({ workers: 2, restorer: wrap });
    const migrations = await uploadedAtOnce(3);
    await until(() => watch.running === 2, "two restores under way");
    const statuses = await Promise.all(migrations.map(statusOf));
    expect(statuses.filter((s) => s.status === "received").map((s) => s.queue_position)).toEqual([
      1,
    ]);
    watch.open();
    await expectAllRestored(migrations);
    expect(watch.most).toBe(2);
  }, 300_000);

  it("a restore cut short by a store stop runs again, from an empty target, when the next store starts", async () => {
    let started = 0;
    let giveUp!: (error: Error) => void;
    const stuck = new Promise<never>((_, reject) => (giveUp = reject));
    // The first store's restore begins (its target exists) and never ends by itself.
    await harness.restartRestores({
      workers: 1,
      stopTimeoutMs: 1000,
      restorer: () => () => {
        started += 1;
        return stuck;
      },
    });
    const [m] = await uploadedAtOnce(1);
    await until(() => started === 1, "the first restore to start");
    expect((await statusOf(m!)).status).toBe("restoring");

    const { watch, wrap } = watchedRestorer();
    watch.open();
    await harness.restartRestores({ workers: 1, restorer: wrap });
    const settled = await waitForSettled(harness, m!.external_id, m!.token, 180_000);
    expect(settled).toMatchObject({ status: "restored", reason: null });
    expect(settled.tables).toEqual(archive.counts);
    expect(watch.calls).toBe(1);
    const target = harness.targets.filter((t) =>
      (t.engine === "postgres" ? t.database : t.dir).endsWith(m!.external_id),
    );
    expect(target).toHaveLength(2); // made by each attempt; the second over an emptied place
    expect(await targetDigests(target.at(-1)!)).toEqual(archive.digests);
    // The first attempt, told it was cut short, leaves the migration alone.
    giveUp(new Error("the first store's restore was abandoned"));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await statusOf(m!)).status).toBe("restored");
  }, 300_000);
});
