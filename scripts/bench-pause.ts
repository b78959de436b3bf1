/**
 * npm run bench:pause -- [--database-url postgres://…/postgres] [--tries 200] [--job-ms 30]
 *
 * The scheduler's cluster-wide pause on pg-boss, against a real PostgreSQL in
 * a database of its own (dropped at the end), with two nodes: this process
 * (node A) and a forked one (node B, lib/testing/node-process.ts). Each try:
 * A runs a job of `--job-ms`; while it runs, runs of A's and B's other jobs
 * are queued every 2 ms, before, during and for 150 ms after the pause; then
 * pauseScheduler() is called. Reported: how long pauseScheduler() took, and
 * the tries in which a job started after it returned (on either node) or the
 * running job had not finished when it returned. Both nodes read the same
 * wall clock (Date.now()).
 */
import crypto from "node:crypto";
import { execFileSync } from "node:child_process";
import os from "node:os";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { openDatabase, type DatabaseHandle } from "@/db/client";
import { startNodeServices, type NodeServices } from "@/lib/cluster/node";
import { prepareDatabase } from "@/lib/runtime/database";
import { pauseScheduler, resumeScheduler } from "@/lib/scheduler";
import { ChildNode } from "@/lib/testing/child-node";

const { values } = parseArgs({
  options: {
    "database-url": { type: "string", default: "postgres://postgres@127.0.0.1:5432/postgres" },
    tries: { type: "string", default: "200" },
    "job-ms": { type: "string", default: "30" },
  },
});
const tries = Number(values.tries);
const jobMs = Number(values["job-ms"]);
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const yearly = "0 0 1 1 *";

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const admin = postgres(values["database-url"], { max: 1, onnotice: () => {} });
const name = `liftoff_bench_pause_${process.pid}_${crypto.randomBytes(3).toString("hex")}`;
const url = new URL(values["database-url"]);
url.pathname = "/" + name;
await admin.unsafe(`create database "${name}"`);
let handle: DatabaseHandle | undefined;
let nodeA: NodeServices | undefined;
let nodeB: ChildNode | undefined;
try {
  handle = await openDatabase({ databaseUrl: url.toString(), maxConnections: 4 });
  await prepareDatabase(handle);
  console.log(
    `machine: nproc ${execFileSync("nproc").toString().trim()}, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}, node ${process.version}`,
  );
  const slow = { started: 0, finished: 0 };
  const tickStarts: number[] = [];
  nodeA = await startNodeServices(handle, {
    nodeId: "bench-a",
    heartbeatMs: 1000,
    schedulerPollMs: 5,
    jobs: [
      {
        name: "bench-running",
        cron: yearly,
        async run() {
          slow.started = Date.now();
          await wait(jobMs);
          slow.finished = Date.now();
        },
      },
      {
        name: "bench-tick",
        cron: yearly,
        run: () => {
          tickStarts.push(Date.now());
          return Promise.resolve();
        },
      },
    ],
  });
  nodeB = await ChildNode.start(url.toString());
  const a = nodeA;
  const b = nodeB;

  const durations: number[] = [];
  let startedAfter = 0;
  let unfinished = 0;
  let jobStartsSeen = 0;
  for (let i = 0; i < tries; i++) {
    await resumeScheduler(handle.db);
    slow.started = 0;
    slow.finished = 0;
    await a.scheduler.runNow("bench-running");
    let sending = true;
    const sender = (async () => {
      while (sending) {
        await a.scheduler.runNow("bench-tick");
        await a.scheduler.runNow("test-child-tick");
        await wait(2);
      }
    })();
    while (slow.started === 0) await wait(1);
    const t0 = performance.now();
    await pauseScheduler(handle.db, { reason: "bench", drainTimeoutMs: 10_000, pollMs: 5 });
    const returnedAt = Date.now();
    durations.push(performance.now() - t0);
    await wait(150);
    sending = false;
    await sender;
    await wait(50);
    const late = [...tickStarts, ...b.jobRuns].filter((at) => at > returnedAt).length;
    jobStartsSeen += tickStarts.length + b.jobRuns.length;
    if (late > 0) startedAfter += 1;
    if (slow.finished === 0 || slow.finished > returnedAt) unfinished += 1;
    tickStarts.length = 0;
    b.jobRuns.length = 0;
  }
  await resumeScheduler(handle.db);
  const sorted = [...durations].sort((x, y) => x - y);
  const f = (v: number) => `${v.toFixed(1)} ms`;
  console.log(
    `\npauseScheduler() with 2 nodes (2 processes) and one ${jobMs} ms job running, ${tries} tries:`,
  );
  console.log(
    `  duration p50 ${f(percentile(sorted, 50))}  p99 ${f(percentile(sorted, 99))}  max ${f(sorted.at(-1)!)}  min ${f(sorted[0]!)}`,
  );
  console.log(`  (includes waiting for the running job, started before the call)`);
  console.log(
    `  tries with a job started on either node after pause returned: ${startedAfter}/${tries}`,
  );
  console.log(
    `  tries where the running job had not finished when pause returned: ${unfinished}/${tries}`,
  );
  console.log(`  other job runs observed across the tries (before the pause): ${jobStartsSeen}`);
} finally {
  await nodeB?.stop().catch(() => {});
  await nodeA?.stop().catch(() => {});
  await handle?.close();
  await admin.unsafe(`drop database if exists "${name}" with (force)`);
  await admin.end();
}
