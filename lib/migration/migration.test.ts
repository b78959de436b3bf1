import fs from "node:fs";
import path from "node:path";
import { count, eq, sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { openDatabase, type Database } from "@/db/client";
import { rowsOf } from "@/db/rows";
import { auditLog, cloudMigration, storeMigrations } from "@/db/schema";
import type { Actor } from "@/lib/auth";
import { readOnlyStatus } from "@/lib/read-only";
import { isSchedulerPaused } from "@/lib/scheduler";
import { seedDatabase } from "@/lib/seed";
import { instanceId } from "@/lib/settings";
import { describeEachEngine } from "@/lib/testing/engines";
import { insertUser } from "@/lib/testing/fixtures";
import { tableDigests } from "@/lib/dump/delta/digest";
import { serverDigests } from "@/lib/dump/testing/fixtures";
import { pgErrorCode } from "@/lib/errors";
import { captureInstalled, captureQuery, copiedRowsEstimate, frozenDigestSpecs } from "./capture";
import { cancelMigration, startMigration } from "./control";
import { movedSource, movedTo, resumeEditingHere } from "./cut-over";
import { recoverMigrations } from "./recover";
import { eventsSince } from "./row";
import { isTerminal } from "./states";
import { startMigrationRig, watchMigration, type MigrationRig } from "./testing/rig";

/** Rows per app table (the migration's own tables aside). */
async function appTableCounts(db: Database): Promise<Record<string, number>> {
  const tables = rowsOf<{ name: string }>(
    await db.execute(sql`select tablename as name from pg_tables
      where schemaname = 'public' and tablename not like 'cloud_migration%' order by 1`),
  );
  const counts: Record<string, number> = {};
  for (const { name } of tables) {
    const [row] = rowsOf<{ n: number }>(
      await db.execute(sql.raw(`select count(*)::int as n from public."${name}"`)),
    );
    counts[name] = row?.n ?? 0;
  }
  return counts;
}

describeEachEngine("Migrate to Cloud", (database, engine) => {
  let rig: MigrationRig;
  let admin: Actor;

  beforeAll(async () => {
    await seedDatabase(database().db, { scale: 0.1, seed: 3, secretKey: null });
    admin = await insertUser(database().db, { role: "admin" });
    await instanceId(database().db); // made on the first start otherwise, after we count
    rig = await startMigrationRig(database(), engine);
  });
  afterAll(async () => {
    await rig?.close();
  });
  afterEach(async () => {
    // Every test must leave the instance writable and its scheduler running.
    expect((await readOnlyStatus(database().db)).enabled).toBe(false);
    expect(await isSchedulerPaused(database().db)).toBe(false);
    rig.proxy.delayMs = 0;
    // Every ending removes change capture.
    expect(await captureInstalled(database().db)).toBe(false);
  });

  it("runs every phase to done; the cloud holds the instance row for row", async () => {
    const member = await insertUser(database().db, { role: "user" });
    const before = await appTableCounts(database().db);
    const seen: { state: string; progress: number }[] = [];
    const id = await startMigration(rig.context, admin);
    const row = await watchMigration(rig, id, undefined, seen);
    expect(row.state, row.error ?? "").toBe("done");
    expect(row.progress).toBe(100);
    expect(seen.map((s) => s.state)).toEqual(
      expect.arrayContaining(["setup", "dump", "upload", "sync", "done"]),
    );
    // The event log a late client replays holds every phase, in order.
    const events = await eventsSince(database().db, id, 0);
    expect([...new Set(events.map((e) => e.state))]).toEqual([
      "init",
      "setup",
      "dump",
      "upload",
      "sync",
      "done",
    ]);
    const progress = seen.map((s) => s.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));

    // What the store restored equals what the instance held when it froze.
    // The audit log goes on being written (it is exempt): compare the rest exactly.
    for (const [table, rows] of Object.entries(before).filter(([t]) => t !== "audit_log")) {
      expect(row.restoredTables?.[table], table).toBe(rows);
    }
    const target = rig.store.targets.at(-1)!;
    const restored = await openDatabase(
      target.engine === "postgres" ? { databaseUrl: target.url } : { pgliteDir: target.dir },
    );
    try {
      const cloud = await appTableCounts(restored.db);
      expect(cloud.users).toBe(before.users);
      expect(cloud.cards).toBe(before.cards);
    } finally {
      await restored.close();
    }

    expect(row.readOnlyFrom).toBeInstanceOf(Date);
    expect(row.readOnlyUntil).toBeNull(); // the cut-over keeps it read-only
    expect(fs.existsSync(path.join(rig.context.workDir, String(id)))).toBe(false);
    const actions = (
      await database()
        .db.select()
        .from(auditLog)
        .where(eq(auditLog.targetId, String(id)))
    ).map((a) => a.action);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(actions).toContain("migration.start");

    // The cut-over (the default): this instance stays read-only, pointing to
    // the cloud, until an admin chooses to resume editing here.
    const frozen = await readOnlyStatus(database().db);
    expect(frozen.enabled).toBe(true);
    expect(frozen.source).toBe(movedSource(id));
    expect(await movedTo(rig.context)).toEqual({
      migrationId: id,
      cloudUrl: row.cloudUrl,
      movedAt: row.finishedAt!.toISOString(),
    });
    // Recovery does not lift it: the migration that holds it is done.
    await recoverMigrations(rig.context);
    expect((await readOnlyStatus(database().db)).enabled).toBe(true);
    await expect(resumeEditingHere(rig.context, member)).rejects.toThrow();
    await resumeEditingHere(rig.context, admin);
    expect((await readOnlyStatus(database().db)).enabled).toBe(false);
    await expect(resumeEditingHere(rig.context, admin)).rejects.toThrow(/not held read-only/);
    const resumed = await database()
      .db.select()
      .from(auditLog)
      .where(eq(auditLog.action, "migration.resume_editing"));
    expect(resumed.map((a) => [a.actorId, a.targetId])).toEqual([[admin.id, String(id)]]);
    // The whole trip and back: on PGlite with a busy machine, more than the default 30 s.
  }, 120_000);

  it("refuses a second migration while one runs", async () => {
    rig.proxy.delayMs = 300;
    const id = await startMigration(rig.context, admin, { afterDone: "writable" });
    await expect(startMigration(rig.context, admin, { afterDone: "writable" })).rejects.toThrow(
      /ongoing migration/,
    );
    await cancelMigration(rig.context, admin, id);
    const row = await watchMigration(rig, id);
    expect(row.state).toBe("cancelled");
    await waitUntilIdle(rig);
  });

  for (const phase of ["setup", "dump", "upload", "sync"] as const) {
    it(`cancels during ${phase}: cancelled, writable, no capture, no archive, upload aborted`, async () => {
      const { db } = database();
      let release = () => {};
      let holdingSetup: Promise<unknown> | null = null;
      if (phase === "setup" && engine === "postgres") {
        // A writer in a copied table holds its ROW EXCLUSIVE lock: CREATE
        // TRIGGER (SHARE ROW EXCLUSIVE) waits for it to commit.
        const writer = postgres(database().url!, { max: 1, onnotice: () => {} });
        const held = new Promise<void>((resolve) => (release = resolve));
        holdingSetup = writer
          .begin(async (tx) => {
            await tx`update users set name = name where id = ${admin.id}`;
            await held;
          })
          .finally(() => writer.end());
      }
      if (phase === "setup" && engine === "pglite") {
        // One query at a time on PGlite: no lock can hold setup without
        // holding the cancel too. Hold it after capture is in.
        const held = new Promise<void>((resolve) => (release = resolve));
        rig.context.testHoldAfterCapture = () => held;
      }
      if (phase === "upload") rig.proxy.delayMs = 2000;
      if (phase === "sync") {
        // The base goes in one PUT; the final delta's PUT stalls: the switch is held.
        const basePuts = rig.proxy.requests.filter((r) => r.method === "PUT").length + 1;
        rig.proxy.plan = ({ index }) => (index >= basePuts ? "stall" : "pass");
      }
      try {
        const id = await startMigration(rig.context, admin, { afterDone: "writable" });
        await watchMigration(rig, id, (row) => row.state === phase);
        if (phase === "setup" && engine === "postgres") await triggerWaitsOnLock(db);
        if (phase === "setup" && engine === "pglite") {
          for (let i = 0; !(await captureInstalled(db)); i++) {
            if (i > 500) throw new Error("capture never came");
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
        }
        if (phase === "dump") {
          // Only a dump still under way counts: check the row says so when we cancel.
          expect(
            (await db.select().from(cloudMigration).where(eq(cloudMigration.id, id)))[0]?.state,
          ).toBe("dump");
        }
        if (phase === "sync") {
          // Held in the read-only window: the final delta is on its way.
          await watchMigration(rig, id, () => stalledPut(rig));
          expect((await readOnlyStatus(db)).enabled).toBe(true);
          expect(await isSchedulerPaused(db)).toBe(true);
        }
        // The cancel waits for the run to end; a held setup ends once let go.
        const cancelling = cancelMigration(rig.context, admin, id);
        await watchMigration(rig, id, (row) => row.state === "cancelled");
        release();
        await cancelling;
        const row = await watchMigration(rig, id);
        expect(row.state).toBe("cancelled");
        expect(row.error).toBeNull();
        await waitUntilIdle(rig);
        expect(await captureInstalled(db)).toBe(false);
        expect(fs.existsSync(path.join(rig.context.workDir, String(id)))).toBe(false);
        const [{ n } = { n: 0 }] = await db
          .select({ n: count() })
          .from(auditLog)
          .where(eq(auditLog.action, "migration.cancel"));
        expect(n).toBeGreaterThan(0);
        const [store] = await db
          .select()
          .from(storeMigrations)
          .where(eq(storeMigrations.externalId, row.externalId!));
        expect(store?.state).toBe("aborted");
        if (phase === "sync") {
          // Its base copy was restored; the abort dropped it.
          expect(store?.awaitsDelta).toBe(true);
          expect(await targetExists(rig, row.externalId!)).toBe(false);
        }
      } finally {
        release();
        await holdingSetup;
        rig.context.testHoldAfterCapture = undefined;
        rig.proxy.plan = () => "pass";
      }
      // A sync cancel restores the base on the store first: a whole trip on PGlite.
    }, 90_000);
  }

  it("cancels while the cloud restores the base: the store aborts it and drops what it restored", async () => {
    let restoring!: () => void;
    const restoreStarted = new Promise<void>((resolve) => (restoring = resolve));
    let finish!: () => void;
    const mayFinish = new Promise<void>((resolve) => (finish = resolve));
    const realRestorer = rig.store.ctx.restorer;
    rig.store.ctx.restorer = async (archive, target, limits) => {
      restoring();
      await mayFinish;
      return realRestorer(archive, target, limits);
    };
    try {
      const id = await startMigration(rig.context, admin, { afterDone: "writable" });
      await restoreStarted;
      await cancelMigration(rig.context, admin, id);
      const row = await watchMigration(rig, id);
      expect(row.state).toBe("cancelled");
      // The store took the abort in the middle of the restore; the restore
      // then ends, finds it aborted and drops what it made.
      finish();
      const deadline = Date.now() + 30_000;
      while ((await targetExists(rig, row.externalId!)) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(await targetExists(rig, row.externalId!)).toBe(false);
      const [store] = await database()
        .db.select({ state: storeMigrations.state })
        .from(storeMigrations)
        .where(eq(storeMigrations.externalId, row.externalId!));
      expect(store?.state).toBe("aborted");
      expect(await captureInstalled(database().db)).toBe(false);
      await waitUntilIdle(rig);
    } finally {
      finish();
      rig.store.ctx.restorer = realRestorer;
    }
  }, 90_000);

  it("ends a migration whose node died mid-dump as error, and lifts everything it held", async () => {
    const { db } = database();
    const [row] = await db
      .insert(cloudMigration)
      .values({
        state: "dump",
        progress: 20,
        ownerNode: "another-host:4242:dead",
        startedById: admin.id,
      })
      .returning();
    await db.execute(sql`update liftoff_cluster.read_only_state
      set enabled = true, source = ${`migration:${row!.id}`}`);
    await db.execute(sql`update liftoff_cluster.scheduler_state
      set paused = true, reason = ${`migration:${row!.id}`}`);
    await recoverMigrations(rig.context);
    const ended = await watchMigration(rig, row!.id);
    expect(ended.state).toBe("error");
    expect(ended.error).toMatch(/Interrupted/);
  });

  it("leaves alone a migration this node has opened and not yet begun to run", async () => {
    // startMigration inserts the row, then waits for the store, then runs it:
    // the periodic recovery may look in between, and must not end it.
    const { db } = database();
    const [row] = await db
      .insert(cloudMigration)
      .values({ state: "init", ownerNode: rig.context.nodeId, startedById: admin.id })
      .returning();
    await recoverMigrations(rig.context);
    const [after] = await db.select().from(cloudMigration).where(eq(cloudMigration.id, row!.id));
    expect(after?.state).toBe("init");
    expect(after?.error).toBeNull();
    await db.delete(cloudMigration).where(eq(cloudMigration.id, row!.id));
  });

  it("keeps every write acknowledged while the base is copied, and none commits once read-only is on", async () => {
    const { db } = database();
    // The base upload lasts a while: users keep working meanwhile.
    rig.proxy.delayMs = 500;
    type Model = Map<number, string | null>; // id → name (null: deleted)
    const models: Record<"collections" | "dashboards", Model> = {
      collections: new Map(),
      dashboards: new Map(),
    };
    let phase = "init";
    const acked: { phase: string; refusedBefore: boolean }[] = [];
    // The phase of each refusal. PGlite takes its base dump frozen (one
    // connection), so refusals there are expected; the switch is in `sync`.
    const refused: string[] = [];
    const switchRefused = () => refused.some((p) => p === "sync" || p === "done");
    let afterEnd = 0;
    let stop = false;
    let bulk = false;
    // Enough changes for a writable round: more than a tenth of the copy.
    const threshold = Math.max(1000, (await copiedRowsEstimate(db)) / 10) + 200;
    const write = async (i: number) => {
      const table = i % 2 === 0 ? "collections" : "dashboards";
      const model = models[table];
      const alive = [...model].filter(([, name]) => name !== null).map(([id]) => id);
      const name = `writer ${i}`;
      if (phase === "upload" && !bulk) {
        bulk = true;
        const rows = rowsOf<{ id: number; name: string }>(
          await db.execute(sql`insert into collections (name)
            select 'bulk ' || g from generate_series(1, ${threshold}::int) g returning id, name`),
        );
        for (const row of rows) models.collections.set(row.id, row.name);
      } else if (alive.length < 3 || i % 3 === 0) {
        const [row] = rowsOf<{ id: number }>(
          await db.execute(
            sql`insert into ${sql.identifier(table)} (name) values (${name}) returning id`,
          ),
        );
        model.set(row!.id, name);
      } else if (i % 3 === 1) {
        const id = alive[i % alive.length]!;
        await db.execute(sql`update ${sql.identifier(table)} set name = ${name} where id = ${id}`);
        model.set(id, name);
      } else {
        const id = alive[i % alive.length]!;
        await db.execute(sql`delete from ${sql.identifier(table)} where id = ${id}`);
        model.set(id, null);
      }
    };
    const writer = (async () => {
      for (let i = 0; !stop; i++) {
        try {
          await write(i);
          acked.push({ phase, refusedBefore: switchRefused() });
        } catch (error) {
          // From the read-only window on, every write is refused, in the database.
          if (pgErrorCode(error) !== "25006") throw error;
          refused.push(phase);
        }
        // A few more tries once it ended (all refused after done, the cut-over holding).
        if (isTerminal(phase)) afterEnd += 1;
        if (afterEnd >= 5) return;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    let row;
    try {
      // The default cut-over: read-only stays once done, so the source stays as frozen.
      const id = await startMigration(rig.context, admin);
      row = await watchMigration(
        rig,
        id,
        (r) => {
          phase = r.state;
          return isTerminal(r.state);
        },
        [],
        120_000,
      );
      await writer;
    } finally {
      stop = true;
      await writer.catch(() => {});
    }
    expect(row.state, row.error ?? "").toBe("done");
    // Users worked during the base copy; the bulk made a writable delta round before the final one.
    expect(acked.filter((a) => a.phase === "upload").length).toBeGreaterThan(3);
    expect(row.deltaRound).toBeGreaterThanOrEqual(2);
    // Once refused in the switch, refused for good: nothing committed after read-only came on.
    expect(switchRefused()).toBe(true);
    expect(acked.filter((a) => a.refusedBefore)).toEqual([]);
    if (engine === "postgres") {
      // PostgreSQL copies the base with everyone writing: no refusal before the switch.
      expect(refused.filter((p) => p !== "sync" && p !== "done")).toEqual([]);
    }

    const target = rig.store.ctx.targets.locate(row.externalId!);
    const copy = await openDatabase(
      target.engine === "postgres" ? { databaseUrl: target.url } : { pgliteDir: target.dir },
    );
    try {
      // Every acknowledged write is in the copy.
      for (const [table, model] of Object.entries(models)) {
        const names = new Map(
          rowsOf<{ id: number; name: string }>(
            await copy.db.execute(sql`select id, name from ${sql.identifier(table)}`),
          ).map((r) => [r.id, r.name]),
        );
        for (const [id, name] of model) {
          expect(names.get(id) ?? null, `${table} ${id}`).toBe(name);
        }
      }
      // The copy equals the frozen source, table by table: rows and content.
      const specs = frozenDigestSpecs();
      expect(await tableDigests(captureQuery(copy.db), specs)).toEqual(
        await tableDigests(captureQuery(db), specs),
      );
      const source = await serverDigests(database());
      const cloud = await serverDigests(copy);
      for (const table of ["collections", "dashboards"]) {
        expect(cloud[table], table).toBe(source[table]);
      }
    } finally {
      await copy.close();
    }
    await resumeEditingHere(rig.context, admin);
  }, 180_000);
});

/** Resolves once a CREATE TRIGGER (or any lock) waits on a copied table. */
async function triggerWaitsOnLock(db: Database): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const [row] = rowsOf<{ waiting: boolean }>(
      await db.execute(sql`select exists(select from pg_locks l join pg_class c on c.oid = l.relation
        where c.relname = 'users' and not l.granted) as waiting`),
    );
    if (row?.waiting) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("setup never waited on the held table");
}

/** Whether the store's copy of `externalId` exists (a database or a folder). */
async function targetExists(rig: MigrationRig, externalId: string): Promise<boolean> {
  const target = rig.store.ctx.targets.locate(externalId);
  if (target.engine === "pglite") return fs.existsSync(target.dir);
  const [row] = rowsOf<{ found: boolean }>(
    await rig.context.handle.db.execute(
      sql`select exists(select from pg_database where datname = ${target.database}) as found`,
    ),
  );
  return row?.found === true;
}

/** Whether a PUT is held by the storage proxy's stall. */
function stalledPut(rig: MigrationRig): boolean {
  return rig.proxy.requests.some((r) => r.method === "PUT" && r.fault === "stall");
}

/** A cancelled run cleans up in the background: wait until it has. */
async function waitUntilIdle(rig: MigrationRig): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const readOnly = await readOnlyStatus(rig.context.handle.db);
    const paused = await isSchedulerPaused(rig.context.handle.db);
    if (!readOnly.enabled && !paused) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("the instance stayed read-only or paused");
}
