/**
 * npm run bench:read-only -- [--database-url postgres://…/postgres] [--runs 50]
 *   [--rounds 5] [--statements 20000] [--connections 4]
 *
 * Read-only mode against a real PostgreSQL, in a database of its own (dropped
 * at the end):
 * 1. Propagation. Process A (this one) calls enableReadOnly while process B
 *    (scripts/bench-read-only-writer.ts, forked) runs a tight INSERT loop into
 *    a guarded table. Reported: B's first refused write and B's local-state
 *    flip (through NOTIFY), each minus the moment enableReadOnly returned in A.
 *    Negative = before enable returned (the guard refuses as soon as enable
 *    waits for or holds the lock). Both processes use
 *    performance.timeOrigin + performance.now(); the offset between the two
 *    clocks is estimated over IPC and printed.
 * 2. Overhead while read-only is off (the guard's triggers exist only while
 *    it is on): write throughput, backend CPU and WAL after an enable/disable
 *    cycle against a baseline where the guard was never installed, and with
 *    triggers left disabled for reference (see scripts/bench-read-only-overhead.ts).
 */
import { execFileSync, fork, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { openDatabase, type DatabaseHandle } from "@/db/client";
import { disableReadOnly, enableReadOnly } from "@/lib/read-only";
import { prepareDatabase } from "@/lib/runtime/database";
import { arms, measureOverhead, type Sample, type Workload } from "./bench-read-only-overhead";
import type { WriterCommand, WriterReply, WriterRun } from "./bench-read-only-writer";

const { values } = parseArgs({
  options: {
    "database-url": { type: "string", default: "postgres://postgres@127.0.0.1:5432/postgres" },
    runs: { type: "string", default: "50" },
    rounds: { type: "string", default: "5" },
    statements: { type: "string", default: "20000" },
    connections: { type: "string", default: "4" },
  },
});
const runs = Number(values.runs);
const rounds = Number(values.rounds);
const connections = Number(values.connections);
const statements = Number(values.statements);
const now = () => performance.timeOrigin + performance.now();
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Nearest-rank percentile. */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
const ms = (v: number) => `${v >= 0 ? " " : ""}${v.toFixed(2)} ms`;
function summary(label: string, samples: number[]): string {
  const s = [...samples].sort((a, b) => a - b);
  if (!s.length) return `${label.padEnd(44)} no samples`;
  return `${label.padEnd(44)} p50 ${ms(percentile(s, 50))}  p99 ${ms(percentile(s, 99))}  max ${ms(s.at(-1)!)}  min ${ms(s[0]!)}  (n=${s.length})`;
}
const pct = (v: number) => `${(v * 100).toFixed(1)} %`;
const median = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );

/** Process B over IPC: one reply awaited at a time. */
class Writer {
  private readonly replies: WriterReply[] = [];
  private wake = () => {};
  private constructor(private readonly child: ChildProcess) {
    child.on("message", (reply: WriterReply) => {
      this.replies.push(reply);
      this.wake();
    });
  }
  static async start(databaseUrl: string): Promise<Writer> {
    const child = fork(path.join(import.meta.dirname, "bench-read-only-writer.ts"), {
      execArgv: ["--import", "tsx"],
      env: { ...process.env, BENCH_DATABASE_URL: databaseUrl, LIFTOFF_LOG_LEVEL: "silent" },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    child.once("exit", (code) => {
      if (code !== 0) console.error(`writer process exited with ${code}`);
    });
    const writer = new Writer(child);
    await writer.next("ready");
    return writer;
  }
  send(command: WriterCommand): void {
    this.child.send(command);
  }
  /** The next reply whose event is one of `events`; earlier others are dropped. */
  async next<E extends WriterReply["event"]>(
    ...events: E[]
  ): Promise<Extract<WriterReply, { event: E }>> {
    for (;;) {
      const reply = this.replies.shift();
      if (reply && (events as string[]).includes(reply.event))
        return reply as Extract<WriterReply, { event: E }>;
      if (!reply) await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.send({ cmd: "stop" });
    await exited;
  }
}

/** B's clock minus A's, from the IPC round trip with the smallest delay. */
async function clockOffset(writer: Writer): Promise<{ offset: number; rtt: number }> {
  let best = { offset: 0, rtt: Number.POSITIVE_INFINITY };
  for (let i = 0; i < 30; i++) {
    const sent = now();
    writer.send({ cmd: "clock" });
    const { at } = await writer.next("clock");
    const received = now();
    if (received - sent < best.rtt)
      best = { offset: at - (sent + received) / 2, rtt: received - sent };
  }
  return best;
}

async function measurePropagation(handle: DatabaseHandle, writer: Writer) {
  const samples = {
    enable: [] as number[],
    refusal: [] as number[],
    refusalFromStart: [] as number[],
  };
  const notify: number[] = [];
  const localFlip: number[] = [];
  const problems: string[] = [];
  for (let i = 0; i < runs; i++) {
    writer.send({ cmd: "arm", timeoutMs: 5000 });
    const armed = await writer.next("armed", "run");
    if (armed.event === "run") throw new Error(`writer did not start: ${JSON.stringify(armed)}`);
    await wait(Math.random() * 10); // do not hit the same point of B's loop each time
    const started = now();
    await enableReadOnly(handle, { reason: "bench", source: "test" });
    const returned = now();
    const run: WriterRun = await writer.next("run");
    if (run.otherError) problems.push(`run ${i + 1}: ${run.otherError}`);
    if (run.firstRefusalAt === null) problems.push(`run ${i + 1}: no refusal within 5 s`);
    if (run.localFlipAt === null)
      problems.push(`run ${i + 1}: local state did not flip within 5 s`);
    samples.enable.push(returned - started);
    if (run.firstRefusalAt !== null) {
      samples.refusal.push(run.firstRefusalAt - returned);
      samples.refusalFromStart.push(run.firstRefusalAt - started);
    }
    if (run.notifyAt !== null) notify.push(run.notifyAt - returned);
    if (run.localFlipAt !== null) localFlip.push(run.localFlipAt - returned);
    await disableReadOnly(handle);
  }
  return { ...samples, notify, localFlip, problems };
}

const admin = postgres(values["database-url"], { max: 1, onnotice: () => {} });
const name = `liftoff_bench_ro_${process.pid}_${crypto.randomBytes(3).toString("hex")}`;
const url = new URL(values["database-url"]);
url.pathname = "/" + name;
await admin.unsafe(`create database "${name}"`);
let handle: DatabaseHandle | undefined;
let writer: Writer | undefined;
try {
  handle = await openDatabase({ databaseUrl: url.toString(), maxConnections: 4 });
  await prepareDatabase(handle);
  const [{ version }] = await admin<[{ version: string }]>`select version()`;
  const settings = await admin<{ name: string; setting: string }[]>`select name, setting
    from pg_settings where name in ('synchronous_commit', 'fsync', 'shared_buffers') order by name`;
  console.log(
    `machine: nproc ${execFileSync("nproc").toString().trim()}, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}, node ${process.version}`,
  );
  console.log(`server:  ${version}`);
  console.log(`         ${settings.map((s) => `${s.name}=${s.setting}`).join(", ")}`);

  writer = await Writer.start(url.toString());
  const clock = await clockOffset(writer);
  console.log(
    `\n1. Propagation, ${runs} runs (B's clock − A's: ${clock.offset.toFixed(3)} ms, ± ${(clock.rtt / 2).toFixed(3)} ms; not corrected)`,
  );
  const p = await measurePropagation(handle, writer);
  console.log(summary("enableReadOnly duration in A", p.enable));
  console.log(summary("B first refusal − A enable started", p.refusalFromStart));
  console.log(summary("B first refusal − A enable returned", p.refusal));
  console.log(summary("B NOTIFY received − A enable returned", p.notify));
  console.log(summary("B local state flipped − A enable returned", p.localFlip));
  const before = p.refusal.filter((v) => v < 0).length;
  console.log(`refusals before enable returned: ${before}/${p.refusal.length}`);
  for (const problem of p.problems) console.log(`  problem: ${problem}`);
  await writer.stop();
  writer = undefined;

  const workloads: Workload[] = [
    {
      label: "single-row",
      kind: "insert",
      statements,
      rowsPerStatement: 1,
      synchronousCommit: "on",
    },
    {
      label: "single-row, sync commit off",
      kind: "insert",
      statements,
      rowsPerStatement: 1,
      synchronousCommit: "off",
    },
    {
      label: "50-row",
      kind: "insert",
      statements: Math.ceil(statements / 4),
      rowsPerStatement: 50,
      synchronousCommit: "on",
    },
    {
      label: "card update, sync commit off",
      kind: "update",
      statements,
      rowsPerStatement: 1,
      synchronousCommit: "off",
    },
  ];
  console.log(
    `\n2. Overhead while read-only is OFF: ${connections} connections, autocommit INSERTs round-robin into collections, dashboards, report_snapshots, or UPDATEs of one card by key; ${rounds} rounds of (${arms.join(", ")}), order rotated`,
  );
  const results = await measureOverhead(handle, workloads, {
    rounds,
    connections,
    log: (line) => console.log(line),
  });
  console.log(
    "\nmedians; overhead against baseline (never installed) = 1 − arm/baseline for throughput (paired by round in brackets), arm/baseline − 1 for CPU and WAL (WAL: the whole server's):",
  );
  for (const { workload, samples } of results) {
    const base = samples.baseline;
    const med = (xs: Sample[], f: (s: Sample) => number) => median(xs.map(f));
    console.log(
      `${workload.label} (${workload.statements} stmts × ${workload.rowsPerStatement} row): baseline ${med(base, (s) => s.rate).toFixed(0)} stmt/s, ` +
        `CPU ${med(base, (s) => s.cpuUs ?? Number.NaN).toFixed(1)} µs/stmt, WAL ${med(base, (s) => s.walBytes).toFixed(0)} B/stmt`,
    );
    for (const arm of arms.filter((a) => a !== "baseline")) {
      const xs = samples[arm];
      const rate = med(xs, (s) => s.rate) / med(base, (s) => s.rate);
      const paired = median(xs.map((x, i) => x.rate / base[i]!.rate));
      const cpu = med(xs, (s) => s.cpuUs ?? Number.NaN) / med(base, (s) => s.cpuUs ?? Number.NaN);
      const wal = med(xs, (s) => s.walBytes) / med(base, (s) => s.walBytes);
      console.log(
        `  ${arm.padEnd(13)} ${med(xs, (s) => s.rate).toFixed(0)} stmt/s → overhead ${pct(1 - rate)} (paired ${pct(1 - paired)}); ` +
          `backend CPU ${pct(cpu - 1)}; WAL ${pct(wal - 1)}`,
      );
    }
  }
  console.log("goals: propagation p99 < 100 ms; read-only OFF within noise of baseline (≤ 1 %)");
} finally {
  await writer?.stop().catch(() => {});
  await handle?.close();
  await admin.unsafe(`drop database if exists "${name}" with (force)`);
  await admin.end();
}
