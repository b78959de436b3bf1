import { fork } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "@/lib/auth";
import { readOnlyStatus } from "@/lib/read-only";
import { isSchedulerPaused } from "@/lib/scheduler";
import { seedDatabase } from "@/lib/seed";
import { createTestDatabase, testEngines, type TestDatabase } from "@/lib/testing/engines";
import { insertUser } from "@/lib/testing/fixtures";
import { recoverMigrations } from "./recover";
import { startMigrationRig, watchMigration, type MigrationRig } from "./testing/rig";

/** Starts a migration in a real second process and kills it (-9) once the row reaches `phase`. */
async function killDuring(rig: MigrationRig, database: TestDatabase, admin: Actor, phase: string) {
  const child = fork(path.resolve(import.meta.dirname, "testing/migration-process.ts"), {
    execArgv: ["--import", "tsx"],
    env: {
      ...process.env,
      LIFTOFF_LOG_LEVEL: "silent",
      LIFTOFF_TEST_NODE_URL: database.url!,
      LIFTOFF_TEST_STORE_URL: rig.context.storeUrl,
      LIFTOFF_TEST_WORK_DIR: rig.context.workDir,
      LIFTOFF_TEST_ADMIN_ID: String(admin.id),
    },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const id = await new Promise<number>((resolve, reject) => {
    child.on("message", (m: { started?: number }) => m.started && resolve(m.started));
    child.once("exit", (code) => reject(new Error(`migration process exited with ${code}`)));
  });
  await watchMigration(rig, id, (row) => row.state === phase);
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
  return id;
}

// A second process needs a database both can reach: PostgreSQL. PGlite is one
// process; its start-up recovery is the same code (recoverMigrations), which
// migration.test.ts runs on both engines for a node that died mid-dump.
describe.runIf(testEngines().includes("postgres"))("a server killed mid-migration", () => {
  let database: TestDatabase;
  let rig: MigrationRig;
  let admin: Actor;

  beforeAll(async () => {
    database = await createTestDatabase("postgres");
    await seedDatabase(database.db, { scale: 0.3, seed: 5, secretKey: null });
    admin = await insertUser(database.db, { role: "admin" });
    rig = await startMigrationRig(database, "postgres");
  }, 60_000);
  afterAll(async () => {
    await rig?.close();
    await database?.drop();
  });

  it("killed during the dump: the restart ends it as error and lifts everything", async () => {
    const id = await killDuring(rig, database, admin, "dump");
    expect((await readOnlyStatus(database.db)).enabled).toBe(true); // the crash left it on
    await recoverMigrations(rig.context);
    const row = await watchMigration(rig, id);
    expect(row.state).toBe("error");
    expect(row.error).toMatch(/Interrupted/);
    expect((await readOnlyStatus(database.db)).enabled).toBe(false);
    expect(await isSchedulerPaused(database.db)).toBe(false);
  });

  it("killed during the upload: the restart resumes it to done", async () => {
    rig.proxy.delayMs = 400;
    const id = await killDuring(rig, database, admin, "upload");
    rig.proxy.delayMs = 0;
    await recoverMigrations(rig.context);
    const row = await watchMigration(rig, id);
    expect(row.state, row.error ?? "").toBe("done");
    expect(row.restoredTables?.users).toBeGreaterThan(0);
    expect((await readOnlyStatus(database.db)).enabled).toBe(false);
    expect(await isSchedulerPaused(database.db)).toBe(false);
  });
});
