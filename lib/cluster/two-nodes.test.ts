import { count, sql } from "drizzle-orm";
import { rowsOf } from "@/db/rows";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cards, collections, dashboards } from "@/db/schema";
import { pgErrorCode } from "@/lib/errors";
import { disableReadOnly, enableReadOnly } from "@/lib/read-only";
import { pauseScheduler, resumeScheduler } from "@/lib/scheduler";
import { ChildNode } from "@/lib/testing/child-node";
import { createTestDatabase, testEngines, type TestDatabase } from "@/lib/testing/engines";
import { startNodeServices, type NodeServices } from "./node";

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Two processes need a server both can reach: PostgreSQL only (PGlite is one
// process by design; its in-process behaviour is covered by the other suites).
describe.runIf(testEngines().includes("postgres"))("two app processes on one PostgreSQL", () => {
  let database: TestDatabase;
  let child: ChildNode;
  let parentNode: NodeServices;

  beforeAll(async () => {
    database = await createTestDatabase("postgres");
    parentNode = await startNodeServices(database, { jobs: [], heartbeatMs: 200 });
    child = await ChildNode.start(database.url!);
  }, 60_000);
  afterAll(async () => {
    await child?.stop();
    await parentNode?.stop();
    await database?.drop();
  });

  it("switching on in one process blocks a write in the other, and back", async () => {
    expect(await child.send("write")).toMatchObject({ ok: true });
    await enableReadOnly(database, { reason: "test", source: "test" });
    const enabledAt = Date.now();
    const refused = await child.send("write");
    expect(refused).toMatchObject({ ok: false, code: "25006" });
    // The child also hears of it through NOTIFY (for its banner and proxy).
    for (let i = 0; i < 50 && !(await child.send("local-state")).state?.enabled; i++)
      await wait(20);
    expect((await child.send("local-state")).state?.enabled).toBe(true);
    expect(Date.now() - enabledAt).toBeLessThan(2000);
    await disableReadOnly(database);
    expect(await child.send("write")).toMatchObject({ ok: true });

    // The other way round: the child enables, the parent is refused, the parent lifts it.
    expect(await child.send("enable")).toMatchObject({ ok: true });
    const error = await database.db
      .insert(collections)
      .values({ name: "parent" })
      .catch((e: unknown) => e);
    expect(pgErrorCode(error)).toBe("25006");
    await disableReadOnly(database);
    await database.db.insert(collections).values({ name: "parent" });
    expect(await child.send("write")).toMatchObject({ ok: true });
  });

  it("pausing in one process stops the other process's jobs until resume", async () => {
    // A due run of the child's job, queued from this process (as cron or "Run now" would).
    const makeDue = () => parentNode.scheduler.runNow("test-child-tick");
    await makeDue();
    for (let i = 0; i < 100 && child.jobRuns.length === 0; i++) await wait(50);
    expect(child.jobRuns.length).toBeGreaterThan(0);
    await pauseScheduler(database.db, { reason: "test", drainTimeoutMs: 5000 });
    const runsAtPause = child.jobRuns.length;
    await makeDue();
    await wait(1500);
    expect(child.jobRuns.length).toBe(runsAtPause);
    await resumeScheduler(database.db);
    for (let i = 0; i < 100 && child.jobRuns.length === runsAtPause; i++) await wait(50);
    expect(child.jobRuns.length).toBeGreaterThan(runsAtPause);
  });

  it("loses no acknowledged write and commits none after enable returns", async () => {
    const writers = 6;
    const pool = postgres(database.url!, { max: writers, onnotice: () => {} });
    const acknowledged: { table: string; name: string; at: number }[] = [];
    let enableReturnedAt = Number.POSITIVE_INFINITY;
    let stop = false;
    const tables = ["collections", "dashboards", "cards"] as const;
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const table = tables[(w + i) % tables.length]!;
        const name = `w${w}-${i}`;
        const isolation = i % 2 ? "repeatable read" : "read committed";
        try {
          await pool.begin(`isolation level ${isolation}`, async (tx) => {
            await tx`select 1`;
            if (table === "cards") await tx`insert into cards (name, query) values (${name}, '{}')`;
            else await tx`insert into ${tx(table)} (name) values (${name})`;
          });
          acknowledged.push({ table, name, at: Date.now() });
        } catch (error) {
          if (pgErrorCode(error) !== "25006") throw error;
          await wait(1);
        }
      }
    };
    const running = Array.from({ length: writers }, (_, w) => writer(w));
    await wait(300);
    await enableReadOnly(database, { reason: "test", source: "test" });
    enableReturnedAt = Date.now();
    const counted = async () => {
      const [c] = await database.db.select({ n: count() }).from(collections);
      const [d] = await database.db.select({ n: count() }).from(dashboards);
      const [k] = await database.db.select({ n: count() }).from(cards);
      return (c?.n ?? 0) + (d?.n ?? 0) + (k?.n ?? 0);
    };
    const atEnable = await counted();
    await wait(500);
    stop = true;
    await Promise.all(running);
    await pool.end();
    expect(await counted()).toBe(atEnable);
    expect(acknowledged.length).toBeGreaterThan(10);
    expect(acknowledged.filter((a) => a.at > enableReturnedAt + 50)).toEqual([]);
    for (const table of tables) {
      const names = new Set(
        rowsOf<{ name: string }>(
          await database.db.execute(sql.raw(`select name from ${table}`)),
        ).map((r) => r.name),
      );
      const missing = acknowledged.filter((a) => a.table === table && !names.has(a.name));
      expect(missing, `acknowledged writes missing from ${table}`).toEqual([]);
    }
    await disableReadOnly(database);
  });
});
