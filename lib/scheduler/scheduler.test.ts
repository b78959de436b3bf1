import { eq, sql } from "drizzle-orm";
import { afterEach, expect, it } from "vitest";
import { dashboardUsage, dashboards, loginHistory, reportSnapshots, viewLog } from "@/db/schema";
import { startNodeServices, type NodeServices } from "@/lib/cluster/node";
import { describeEachEngine, type TestDatabase } from "@/lib/testing/engines";
import { insertUser } from "@/lib/testing/fixtures";
import {
  builtInJobs,
  isSchedulerPaused,
  pauseScheduler,
  resumeScheduler,
  type JobDefinition,
} from ".";

/** Cron that does not come round during a test: the tests queue runs themselves. */
const yearly = "0 0 1 1 *";

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await wait(20);
  }
}

/** A job that runs until released, recording when it started and finished. */
function slowJob(name: string) {
  let release = () => {};
  const record = { started: 0, finished: 0, runs: 0 };
  const job: JobDefinition = {
    name,
    cron: yearly,
    async run() {
      record.started = Date.now();
      record.runs += 1;
      await new Promise<void>((resolve) => (release = resolve));
      record.finished = Date.now();
    },
  };
  return { job, record, release: () => release() };
}

function tickJob(name: string) {
  const runs: number[] = [];
  const job: JobDefinition = {
    name,
    cron: yearly,
    run: async () => {
      runs.push(Date.now());
      await Promise.resolve();
    },
  };
  return { job, runs };
}

describeEachEngine("scheduler", (database) => {
  const nodes: NodeServices[] = [];
  const start = async (jobs: JobDefinition[], handle: TestDatabase = database()) => {
    const node = await startNodeServices(handle, { jobs, heartbeatMs: 200, schedulerPollMs: 20 });
    nodes.push(node);
    return node;
  };
  /** What a due cron occurrence does: queue one run of each job (any node's pg-boss will do). */
  const makeDue = async (jobs: JobDefinition[]) => {
    for (const job of jobs) await nodes[0]!.scheduler.runNow(job.name);
  };
  afterEach(async () => {
    for (const node of nodes.splice(0)) await node.stop();
    await resumeScheduler(database().db);
    await database().db.execute(sql`delete from pgboss.job where name like 'test-%'`);
  });

  it("pause waits for a running job, nothing starts while paused, resume restarts", async () => {
    const { db } = database();
    const slow = slowJob("test-slow");
    const tickA = tickJob("test-tick");
    await start([slow.job, tickA.job]);
    await start([slow.job, tickA.job]);
    await makeDue([slow.job, tickA.job]);
    await until(() => slow.record.runs === 1 && tickA.runs.length > 0);

    setTimeout(slow.release, 300);
    await pauseScheduler(db, { reason: "test", drainTimeoutMs: 5000 });
    const pausedAt = Date.now();
    expect(slow.record.finished).toBeGreaterThan(0);
    expect(slow.record.finished).toBeLessThanOrEqual(pausedAt);
    expect(await isSchedulerPaused(db)).toBe(true);

    // Make everything due: still nothing may start while paused.
    await makeDue([slow.job, tickA.job]);
    const ticksWhenPaused = tickA.runs.length;
    await wait(400);
    expect(tickA.runs.length).toBe(ticksWhenPaused);
    expect(slow.record.runs).toBe(1);

    await resumeScheduler(db);
    await until(() => tickA.runs.length > ticksWhenPaused && slow.record.runs === 2);
    slow.release();
  });

  it("gives up waiting after the bound and names the job still running", async () => {
    const slow = slowJob("test-stuck");
    await start([slow.job]);
    await makeDue([slow.job]);
    await until(() => slow.record.runs === 1);
    await expect(
      pauseScheduler(database().db, { reason: "test", drainTimeoutMs: 200 }),
    ).rejects.toThrow(/test-stuck on /);
    slow.release();
  });

  it("a node started while the cluster is paused stays paused", async () => {
    const { db } = database();
    await pauseScheduler(db, { reason: "test" });
    const tick = tickJob("test-late-tick");
    await start([tick.job]);
    await makeDue([tick.job]);
    await wait(300);
    expect(tick.runs).toHaveLength(0);
    await resumeScheduler(db);
    await until(() => tick.runs.length > 0);
  });

  it("runs the built-in jobs: clean-up, usage roll-up, summary report", async () => {
    const { db } = database();
    const user = await insertUser(db);
    const [dashboard] = await db
      .insert(dashboards)
      .values({ name: "Ops 🚦", creatorId: user.id })
      .returning({ id: dashboards.id });
    await db.insert(viewLog).values([
      { userId: user.id, model: "dashboard", modelId: dashboard!.id },
      { userId: user.id, model: "dashboard", modelId: dashboard!.id },
    ]);
    await db.insert(loginHistory).values([
      { email: "old@example.test", success: true, createdAt: new Date("2000-01-01T00:00:00Z") },
      { email: "new@example.test", success: true },
    ]);
    const signal = new AbortController().signal;
    for (const job of builtInJobs) await job.run({ db, signal });
    const usage = await db
      .select()
      .from(dashboardUsage)
      .where(eq(dashboardUsage.dashboardId, dashboard!.id));
    expect(usage).toEqual([expect.objectContaining({ views: 2, viewers: 1 })]);
    const [report] = await db.select().from(reportSnapshots);
    expect(report?.body).toContain("1. Ops 🚦 — 2 views, 0 cards");
    const emails = (await db.select({ email: loginHistory.email }).from(loginHistory)).map(
      (r) => r.email,
    );
    expect(emails).not.toContain("old@example.test");
    expect(emails).toContain("new@example.test");
    await db.execute(sql`truncate dashboard_usage, report_snapshots`);
  });
});
