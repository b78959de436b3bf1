import { fork } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { desc, eq, sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { openDatabase } from "@/db/client";
import { rowsOf } from "@/db/rows";
import { cloudMigration, storeMigrations } from "@/db/schema";
import { tableDigests } from "@/lib/dump/delta/digest";
import type { Actor } from "@/lib/auth";
import { readOnlyStatus } from "@/lib/read-only";
import { readOnlyLockKey } from "@/lib/read-only/guard";
import { isSchedulerPaused } from "@/lib/scheduler";
import { seedDatabase } from "@/lib/seed";
import type { ArchiveRestorer } from "@/lib/store/restorer";
import { createTestDatabase, testEngines, type TestDatabase } from "@/lib/testing/engines";
import { insertUser } from "@/lib/testing/fixtures";
import { startStoreApiProxy, type StoreApiProxy } from "@/lib/upload/testing/store-api-proxy";
import { captureInstalled, captureQuery, frozenDigestSpecs } from "./capture";
import { movedSource, resumeEditingHere } from "./cut-over";
import { recoverMigrations } from "./recover";
import { getMigration, type MigrationRow } from "./row";
import { startMigrationRig, watchMigration, type MigrationRig } from "./testing/rig";

// Each case starts a process, migrates, kills and recovers: up to a minute on a busy machine.
vi.setConfig({ testTimeout: 90_000 });

/**
 * Kills (SIGKILL) a real server process running a migration at exact points,
 * then runs what a restarted node runs (`recoverMigrations`) and checks that
 * the migration ends as the store has it: done when the cloud has or can
 * still get the archive, error (with nothing left behind) before that.
 *
 * A second process needs a database both can reach: PostgreSQL. On PGlite
 * there is one process, so there is no second one to kill; its start-up
 * recovery is the same code, which migration.test.ts runs on both engines.
 */
describe.runIf(testEngines().includes("postgres"))(
  "a server killed at each point of a migration",
  () => {
    let database: TestDatabase;
    let rig: MigrationRig;
    let front: StoreApiProxy;
    let admin: Actor;
    let realRestorer: ArchiveRestorer;

    beforeAll(async () => {
      database = await createTestDatabase("postgres");
      await seedDatabase(database.db, { scale: 0.2, seed: 5, secretKey: null });
      admin = await insertUser(database.db, { role: "admin" });
      rig = await startMigrationRig(database, "postgres");
      front = await startStoreApiProxy(rig.context.storeUrl);
      realRestorer = rig.store.ctx.restorer;
    }, 60_000);
    afterAll(async () => {
      await front?.close();
      await rig?.close();
      await database?.drop();
    });
    afterEach(() => {
      front.plan = () => "pass";
      front.onHold = () => {};
      rig.proxy.delayMs = 0;
      rig.store.ctx.restorer = realRestorer;
      rig.proxy.plan = () => "pass";
    });

    /**
     * Starts a migration in a child process (multipart, through the store API
     * proxy), waits for `point` to say the child is where it should die, and
     * kills it. Returns the migration's row as the crash left it.
     */
    async function killAt(point: () => Promise<unknown>): Promise<MigrationRow> {
      const child = fork(path.resolve(import.meta.dirname, "testing/migration-process.ts"), {
        execArgv: ["--import", "tsx"],
        env: {
          ...process.env,
          LIFTOFF_LOG_LEVEL: "silent",
          LIFTOFF_TEST_NODE_URL: database.url!,
          LIFTOFF_TEST_STORE_URL: front.url,
          LIFTOFF_CLOUD_KEY: rig.store.migrationKey,
          LIFTOFF_TEST_WORK_DIR: rig.context.workDir,
          LIFTOFF_TEST_ADMIN_ID: String(admin.id),
          LIFTOFF_TEST_MULTIPART: "1",
        },
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      });
      const exited = new Promise((resolve) => child.once("exit", resolve));
      try {
        await Promise.race([
          point(),
          exited.then(() => {
            throw new Error("the migration process ended before the kill point");
          }),
        ]);
      } finally {
        child.kill("SIGKILL");
        await exited;
      }
      const [row] = await database.db
        .select()
        .from(cloudMigration)
        .orderBy(desc(cloudMigration.id))
        .limit(1);
      if (!row) throw new Error("the child made no migration");
      return row;
    }

    /** Resolves when the store API proxy holds `call` (see the holds of ApiFault). */
    function holdAt(call: string, fault: "holdBefore" | "holdAnswer"): Promise<void> {
      return new Promise((resolve) => {
        front.plan = (c) => (c === call ? fault : "pass");
        front.onHold = (c) => c === call && resolve();
      });
    }

    function rowReaches(phase: string): Promise<MigrationRow> {
      return new Promise((resolve, reject) => {
        const poll = async () => {
          const row = await database.db.query.cloudMigration.findFirst({
            orderBy: desc(cloudMigration.id),
          });
          if (row?.state === phase) return resolve(row);
          setTimeout(() => void poll().catch(reject), 5);
        };
        void poll().catch(reject);
      });
    }

    /** The restart: recovery, then the migration's ending, within a bound. */
    async function restart(crashed: MigrationRow): Promise<MigrationRow> {
      front.plan = () => "pass";
      await recoverMigrations(rig.context);
      const row = await watchMigration(rig, crashed.id, undefined, [], 60_000);
      if (row.state === "done") {
        // The child chose the default cut-over: read-only, pointing to the cloud.
        expect((await readOnlyStatus(database.db)).source).toBe(movedSource(row.id));
        await resumeEditingHere(rig.context, admin);
      }
      expect((await readOnlyStatus(database.db)).enabled).toBe(false);
      expect(await isSchedulerPaused(database.db)).toBe(false);
      // Every ending, a crash's too, takes change capture away.
      expect(await captureInstalled(database.db)).toBe(false);
      expect(fs.existsSync(path.join(rig.context.workDir, String(crashed.id)))).toBe(false);
      if (row.state !== "done" && row.externalId) {
        // Given up: the store's copy (or what there was of it) is gone.
        expect(["aborted", "failed"]).toContain(await storeStateOf(row));
        expect(await copyExists(row)).toBe(false);
      }
      return row;
    }

    async function storeStateOf(row: MigrationRow): Promise<string | undefined> {
      if (!row.externalId) return undefined;
      const [store] = await database.db
        .select({ state: storeMigrations.state })
        .from(storeMigrations)
        .where(eq(storeMigrations.externalId, row.externalId));
      return store?.state;
    }

    async function expectDoneWithStoreCounts(row: MigrationRow) {
      expect(row.state, row.error ?? "").toBe("done");
      expect(await storeStateOf(row)).toBe("restored");
      const [store] = await database.db
        .select({ tables: storeMigrations.tableCounts })
        .from(storeMigrations)
        .where(eq(storeMigrations.externalId, row.externalId!));
      expect(row.restoredTables).toEqual(store?.tables);
      expect(row.restoredTables?.users).toBeGreaterThan(0);
      // Complete: every frozen table of the copy equals the source's.
      const target = rig.store.ctx.targets.locate(row.externalId!);
      const copy = await openDatabase(
        target.engine === "postgres" ? { databaseUrl: target.url } : { pgliteDir: target.dir },
      );
      try {
        const specs = frozenDigestSpecs();
        expect(await tableDigests(captureQuery(copy.db), specs)).toEqual(
          await tableDigests(captureQuery(database.db), specs),
        );
      } finally {
        await copy.close();
      }
    }

    /** Whether the store's copy of this migration exists (its database). */
    async function copyExists(row: MigrationRow): Promise<boolean> {
      const target = rig.store.ctx.targets.locate(row.externalId!);
      if (target.engine !== "postgres") throw new Error("the kill matrix runs on PostgreSQL");
      const found = await database.db.execute(
        sql`select 1 from pg_database where datname = ${target.database}`,
      );
      return rowsOf(found).length > 0;
    }

    /** Resolves once a lock on `relation` is waited for (not granted). */
    async function lockAwaited(relation: string): Promise<void> {
      for (;;) {
        const waiting = await database.db.execute(sql`select 1 from pg_locks
          where relation = to_regclass(${relation}) and not granted`);
        if (rowsOf(waiting).length > 0) return;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }

    /** A transaction on its own connection that runs `statement` and stays open until released. */
    function holdTransaction(statement: (tx: postgres.TransactionSql) => Promise<unknown>) {
      const connection = postgres(database.url!, { max: 1, onnotice: () => {} });
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let began!: () => void;
      const inside = new Promise<void>((resolve) => (began = resolve));
      const done = connection
        .begin(async (tx) => {
          await statement(tx);
          began();
          await held;
        })
        .finally(() => connection.end());
      return {
        inside,
        async release() {
          release();
          await done.catch(() => {});
        },
      };
    }

    it("store's create carried out, its answer lost: error, nothing frozen", async () => {
      const crashed = await killAt(() => holdAt("POST /api/store/v1/migrations", "holdAnswer"));
      expect(crashed.state).toBe("init");
      expect(crashed.externalId).toBeNull();
      const row = await restart(crashed);
      expect(row.state).toBe("error");
      expect(row.error).toMatch(/Interrupted/);
    });

    it("during setup, installing capture (a writer holds a copied table): error, store upload aborted", async () => {
      // A writer's ROW EXCLUSIVE lock on users: CREATE TRIGGER waits for it.
      const writer = holdTransaction(
        (tx) => tx`update users set name = name where id = ${admin.id}`,
      );
      try {
        await writer.inside;
        const crashed = await killAt(async () => {
          await rowReaches("setup");
          await lockAwaited("public.users");
        });
        expect(crashed.state).toBe("setup");
        await writer.release();
        const row = await restart(crashed);
        expect(row.state).toBe("error");
      } finally {
        await writer.release();
      }
    });

    it("during the dump: error, read-only lifted, partial archive deleted, store upload aborted", async () => {
      const crashed = await killAt(() => rowReaches("dump"));
      expect(crashed.state).toBe("dump");
      const row = await restart(crashed);
      expect(row.state).toBe("error");
      expect(row.error).toMatch(/Interrupted/);
      expect(await storeStateOf(row)).toBe("aborted");
    });

    it("between the dump and the upload: the upload resumes to done", async () => {
      const crashed = await killAt(() => holdAt("POST /multipart", "holdBefore"));
      expect(crashed.state).toBe("upload");
      expect(crashed.bytesDone).toBe(0);
      await expectDoneWithStoreCounts(await restart(crashed));
    });

    it("the store began the multipart upload, its answer lost: a single PUT replaces it, done", async () => {
      // The restarted node sends this size in one PUT; the store drops the
      // multipart upload it opened for the dead one.
      const crashed = await killAt(() => holdAt("POST /multipart", "holdAnswer"));
      expect(crashed.state).toBe("upload");
      await expectDoneWithStoreCounts(await restart(crashed));
    });

    it("mid-upload, a part on its way: the upload resumes to done", async () => {
      rig.proxy.delayMs = 400;
      const crashed = await killAt(async () => {
        await rowReaches("upload");
        await new Promise((resolve) => setTimeout(resolve, 150));
      });
      rig.proxy.delayMs = 0;
      expect(crashed.state).toBe("upload");
      await expectDoneWithStoreCounts(await restart(crashed));
    });

    it("after the last part, before complete: the upload is completed to done", async () => {
      const crashed = await killAt(() => holdAt("POST /multipart/complete", "holdBefore"));
      expect(await storeStateOf(crashed)).toBe("awaiting_upload");
      await expectDoneWithStoreCounts(await restart(crashed));
    });

    it("complete carried out, its answer lost: done (the store takes complete again)", async () => {
      const crashed = await killAt(() => holdAt("POST /multipart/complete", "holdAnswer"));
      expect(await storeStateOf(crashed)).toBe("awaiting_upload");
      await expectDoneWithStoreCounts(await restart(crashed));
    });

    it("uploaded carried out, its answer lost: done with the store's counts, no upload sent again", async () => {
      const crashed = await killAt(() => holdAt("POST /uploaded", "holdAnswer"));
      expect(crashed.state).toBe("upload");
      front.requests.length = 0;
      const row = await restart(crashed);
      await expectDoneWithStoreCounts(row);
      // The restart asked the store and followed it: no part, no second upload.
      expect(front.requests.map((r) => r.call)).not.toContain("POST /multipart");
      expect(front.requests.map((r) => r.call)).not.toContain("POST /uploaded");
    });

    it("while the store restores: done once the cloud has restored it", async () => {
      let restoring!: () => void;
      const restoreStarted = new Promise<void>((resolve) => (restoring = resolve));
      let finish!: () => void;
      const mayFinish = new Promise<void>((resolve) => (finish = resolve));
      rig.store.ctx.restorer = async (archive, target, limits) => {
        restoring();
        await mayFinish;
        return realRestorer(archive, target, limits);
      };
      const crashed = await killAt(() => restoreStarted);
      expect(crashed.state).toBe("upload");
      expect(await storeStateOf(crashed)).toBe("restoring");
      finish();
      await expectDoneWithStoreCounts(await restart(crashed));
    });

    it("the store failed the restore while the instance was down: error with the store's reason", async () => {
      let restoring!: () => void;
      const restoreStarted = new Promise<void>((resolve) => (restoring = resolve));
      let finish!: () => void;
      const mayFinish = new Promise<void>((resolve) => (finish = resolve));
      rig.store.ctx.restorer = async () => {
        restoring();
        await mayFinish;
        throw new Error("disk full on the cloud side");
      };
      const crashed = await killAt(() => restoreStarted);
      finish();
      const row = await restart(crashed);
      expect(row.state).toBe("error");
      expect(row.error).toMatch(/The cloud could not restore the snapshot/);
      expect(await storeStateOf(row)).toBe("failed");
      expect((await getMigration(database.db, row.id))?.restoredTables).toBeNull();
    });

    it("building the final delta (read-only on, scheduler paused): error, copy dropped", async () => {
      // The switch waits for a writer holding the read-only lock shared; meanwhile
      // the capture table is locked, so the delta build that follows waits on it.
      const writer = holdTransaction(
        (tx) =>
          tx`select pg_advisory_xact_lock_shared(${readOnlyLockKey[0]}, ${readOnlyLockKey[1]})`,
      );
      const capture = holdTransaction(async (tx) => {
        await rowReadOnlyFrom();
        await tx`lock table liftoff_capture.changes in access exclusive mode`;
      });
      try {
        await writer.inside;
        const crashed = await killAt(async () => {
          await capture.inside;
          await writer.release();
          await lockAwaited("liftoff_capture.changes");
          expect((await readOnlyStatus(database.db)).enabled).toBe(true);
          expect(await isSchedulerPaused(database.db)).toBe(true);
        });
        expect(crashed.state).toBe("sync");
        expect(crashed.deltaRound).toBe(0);
        await capture.release();
        expect(await storeStateOf(crashed)).toBe("base_restored");
        const row = await restart(crashed);
        expect(row.state).toBe("error");
        expect(await storeStateOf(row)).toBe("aborted");
        expect(row.error).toMatch(/partial copy was dropped/);
      } finally {
        await writer.release();
        await capture.release();
      }
    });

    it("final delta built, before its upload: error, copy dropped", async () => {
      const crashed = await killAt(() => holdAt("POST /delta-url", "holdBefore"));
      expect(crashed.state).toBe("sync");
      expect(await storeStateOf(crashed)).toBe("base_restored");
      const row = await restart(crashed);
      expect(row.state).toBe("error");
      expect(await storeStateOf(row)).toBe("aborted");
    });

    it("final delta on its way to the storage: error, copy dropped", async () => {
      // Once its URL is issued, the delta's PUT stalls at the storage proxy.
      front.plan = (call) => {
        if (call === "POST /delta-url") rig.proxy.plan = () => "stall";
        return "pass";
      };
      const crashed = await killAt(async () => {
        while (!rig.proxy.requests.some((r) => r.method === "PUT" && r.fault === "stall")) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      });
      rig.proxy.plan = () => "pass";
      expect(crashed.state).toBe("sync");
      const row = await restart(crashed);
      expect(row.state).toBe("error");
      expect(await storeStateOf(row)).toBe("aborted");
    });

    it("final delta uploaded, before the store applied it: error, copy dropped", async () => {
      const crashed = await killAt(() => holdAt("POST /delta", "holdBefore"));
      expect(crashed.state).toBe("sync");
      expect(await storeStateOf(crashed)).toBe("base_restored");
      const row = await restart(crashed);
      expect(row.state).toBe("error");
      expect(await storeStateOf(row)).toBe("aborted");
      expect(row.error).toMatch(/partial copy was dropped/);
    });

    it("the store applied the final delta, its answer lost: done, the copy complete", async () => {
      const crashed = await killAt(() => holdAt("POST /delta", "holdAnswer"));
      expect(crashed.state).toBe("sync");
      expect(await storeStateOf(crashed)).toBe("restored");
      front.requests.length = 0;
      const row = await restart(crashed);
      await expectDoneWithStoreCounts(row);
      // The restart followed the store: no delta sent again.
      expect(front.requests.map((r) => r.call)).not.toContain("POST /delta");
    });

    /** Resolves once the latest migration has recorded the start of its read-only window. */
    async function rowReadOnlyFrom(): Promise<void> {
      for (;;) {
        const row = await database.db.query.cloudMigration.findFirst({
          orderBy: desc(cloudMigration.id),
        });
        if (row?.state === "sync" && row.readOnlyFrom) return;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
  },
);
