import { PassThrough } from "node:stream";
import { sql } from "drizzle-orm";
import { afterEach, expect, it } from "vitest";
import { rowsOf } from "@/db/rows";
import { auditLog } from "@/db/schema";
import { startNodeServices, type NodeServices } from "@/lib/cluster/node";
import { writeDumpArchive } from "@/lib/dump";
import { disableReadOnly, enableReadOnly } from "@/lib/read-only";
import { RestoreQueue, storeBossSchema } from "@/lib/store/restore-queue";
import { describeEachEngine } from "@/lib/testing/engines";
import { insertUser } from "@/lib/testing/fixtures";
import { bossSchema, jobOverview, runJobNow, type JobDefinition } from ".";

const yearly = "0 0 1 1 *";

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describeEachEngine("jobs on pg-boss", (database) => {
  const nodes: NodeServices[] = [];
  const start = async (jobs: JobDefinition[]) => {
    const node = await startNodeServices(database(), {
      jobs,
      heartbeatMs: 200,
      schedulerPollMs: 20,
    });
    nodes.push(node);
    return node;
  };
  afterEach(async () => {
    for (const node of nodes.splice(0)) await node.stop();
    await disableReadOnly(database());
    await database().db.execute(sql`delete from pgboss.job where name like 'test-%'`);
  });

  it("records a failed run with its retries, error, duration and next run", async () => {
    let attempts = 0;
    const node = await start([
      {
        name: "test-failing",
        cron: "*/5 * * * *",
        retryLimit: 1,
        async run() {
          attempts += 1;
          await new Promise((resolve) => setTimeout(resolve, 30));
          throw new Error(`disk full (attempt ${attempts})`);
        },
      },
    ]);
    // pg-boss's retry delay is 30 s with backoff: one attempt is enough to see it recorded.
    await node.scheduler.runNow("test-failing");
    const admin = await insertUser(database().db, { role: "admin" });
    const overview = () =>
      jobOverview(database().db, admin, (cron, tz) => node.scheduler.nextOccurrence(cron, tz));
    await until(async () =>
      (await overview()).some((j) => j.name === "test-failing" && j.state === "retry"),
    );
    const job = (await overview()).find((j) => j.name === "test-failing")!;
    expect(job).toMatchObject({
      cron: "*/5 * * * *",
      state: "retry",
      retryCount: 0,
      retryLimit: 1,
      lastError: "disk full (attempt 1)",
    });
    expect(job.nextRunAt!.getTime()).toBeGreaterThan(Date.now());
    expect(job.nextRunAt!.getUTCMinutes() % 5).toBe(0);
  });

  it("records a successful run with its duration", async () => {
    const node = await start([
      {
        name: "test-ok",
        cron: yearly,
        run: () => new Promise((resolve) => setTimeout(resolve, 50)),
      },
    ]);
    await node.scheduler.runNow("test-ok");
    const admin = await insertUser(database().db, { role: "admin" });
    const overview = () => jobOverview(database().db, admin, () => null);
    await until(async () =>
      (await overview()).some((j) => j.name === "test-ok" && j.state === "completed"),
    );
    const job = (await overview()).find((j) => j.name === "test-ok")!;
    expect(job.lastError).toBeNull();
    expect(job.lastDurationMs).toBeGreaterThanOrEqual(40);
    expect(job.lastFinishedAt).toBeInstanceOf(Date);
  });

  it("run now: admins only, known jobs only, audited", async () => {
    const { db } = database();
    const node = await start([{ name: "test-manual", cron: yearly, run: () => Promise.resolve() }]);
    const adminUser = await insertUser(db, { role: "admin" });
    const memberUser = await insertUser(db, { role: "user" });
    await expect(runJobNow(db, node.scheduler, memberUser, "test-manual")).rejects.toThrow(
      /Only administrators/,
    );
    await expect(runJobNow(db, node.scheduler, adminUser, "no-such-job")).rejects.toThrow(
      /no background job named/,
    );
    expect(await runJobNow(db, node.scheduler, adminUser, "test-manual")).toEqual({ queued: true });
    const audits = await db.select().from(auditLog);
    expect(audits.filter((a) => a.action === "job.run_now")).toHaveLength(1);
    await db.delete(auditLog);
  });

  it("pg-boss's tables are neither guarded by read-only mode nor dumped", async () => {
    const handle = database();
    let ran = 0;
    const node = await start([
      {
        name: "test-in-read-only",
        cron: yearly,
        async run() {
          ran += 1;
          await Promise.resolve();
        },
      },
    ]);
    // The store's restores queue in a pg-boss schema of their own, as free of the guard.
    const restores = new RestoreQueue(handle, { workers: 1, pollSeconds: 0.5 });
    let restored = 0;
    await restores.start(() => Promise.resolve(void (restored += 1)));
    await enableReadOnly(handle, { reason: "test", source: "test" });
    // Queuing, fetching and settling a job all write pg-boss's tables.
    expect(await node.scheduler.runNow("test-in-read-only")).not.toBeNull();
    expect(await restores.enqueue("test-restore-in-read-only")).toBe(true);
    await until(() => Promise.resolve(restored === 1));
    await restores.stop();
    await until(() => Promise.resolve(ran === 1));
    await until(async () => {
      const [row] = rowsOf<{ state: string }>(
        await handle.db.execute(
          sql`select state from pgboss.job where name = 'test-in-read-only' order by created_on desc limit 1`,
        ),
      );
      return row?.state === "completed";
    });
    const sink = new PassThrough();
    sink.resume();
    const { manifest } = await writeDumpArchive(handle, sink, { writesFrozen: true });
    const dumped = manifest.tables.map((t) => t.name);
    expect(dumped).toContain("users");
    for (const schema of [bossSchema, storeBossSchema]) {
      const bossTables = rowsOf<{ name: string }>(
        await handle.db.execute(
          sql`select table_name as name from information_schema.tables where table_schema = ${schema}`,
        ),
      ).map((r) => r.name);
      expect(bossTables).toContain("job");
      for (const table of bossTables) expect(dumped).not.toContain(table);
    }
    expect(dumped.some((name) => name.includes("pgboss"))).toBe(false);
    await handle.db.execute(
      sql`delete from ${sql.identifier(storeBossSchema)}.job where singleton_key like 'test-%'`,
    );
  });
});
