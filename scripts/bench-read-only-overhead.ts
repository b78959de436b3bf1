/**
 * The overhead half of `npm run bench:read-only`: an insert-heavy workload
 * with the read-only guard's triggers installed and without them, run
 * alternately in the same process against the same database.
 * Besides wall-clock throughput it reads the CPU time the server backends
 * spent (/proc/<pid>/schedstat, ns), which other load on the machine disturbs
 * far less; only when the server runs on this machine.
 */
import fs from "node:fs";
import postgres from "postgres";
import type { DatabaseHandle } from "@/db/client";
import { installReadOnlyGuard, readOnlyGuardPlan } from "@/lib/read-only";

/** Guarded tables with no required foreign keys. */
const tables = [
  { name: "collections", columns: "(name)", values: "('bench')" },
  { name: "dashboards", columns: "(name)", values: "('bench')" },
  { name: "report_snapshots", columns: "(kind, body)", values: "('bench', 'body')" },
] as const;

export interface Workload {
  label: string;
  /** Autocommit INSERT statements (= transactions) per run, over all connections. */
  statements: number;
  rowsPerStatement: number;
  synchronousCommit: "on" | "off";
}

export interface Sample {
  /** Statements per second. */
  rate: number;
  /** Server backend CPU per statement, µs; null when /proc cannot tell. */
  cpuUs: number | null;
}

export interface OverheadResult {
  workload: Workload;
  guarded: Sample[];
  unguarded: Sample[];
}

/** Removes the guard's triggers from every table (the guard function stays). */
export async function dropGuard(sql: postgres.Sql): Promise<void> {
  for (const { table } of readOnlyGuardPlan()) {
    await sql.unsafe(`drop trigger if exists liftoff_read_only_guard on "${table}"`);
    await sql.unsafe(`drop trigger if exists liftoff_read_only_guard_row on "${table}"`);
  }
}

async function guardTriggerCount(sql: postgres.Sql): Promise<number> {
  const [row] = await sql<{ n: number }[]>`select count(*)::int as n from pg_trigger
    where tgname like 'liftoff_read_only_guard%' and not tgisinternal`;
  return row?.n ?? 0;
}

/** Total on-CPU ns of these processes, or null if any cannot be read. */
function cpuNs(pids: number[]): number | null {
  try {
    return pids.reduce((sum, pid) => {
      const ns = Number(fs.readFileSync(`/proc/${pid}/schedstat`, "utf8").split(" ")[0]);
      if (!Number.isFinite(ns)) throw new Error("no schedstat");
      return sum + ns;
    }, 0);
  } catch {
    return null;
  }
}

interface Connection {
  reserved: postgres.ReservedSql;
  pid: number;
}

/** One timed run: the connections share the statements. */
async function timedRun(sql: postgres.Sql, connections: Connection[], workload: Workload) {
  await sql.unsafe(`truncate ${tables.map((t) => t.name).join(", ")} restart identity cascade`);
  const texts = tables.map(
    (t) =>
      `insert into ${t.name} ${t.columns} values ${Array<string>(workload.rowsPerStatement).fill(t.values).join(", ")}`,
  );
  for (const { reserved } of connections) {
    await reserved.unsafe(`set synchronous_commit = ${workload.synchronousCommit}`);
  }
  let next = 0;
  const worker = async ({ reserved }: Connection) => {
    for (let i = next++; i < workload.statements; i = next++) {
      await reserved.unsafe(texts[i % texts.length]!, [], { prepare: true });
    }
  };
  const pids = connections.map((c) => c.pid);
  const cpuBefore = cpuNs(pids);
  const started = performance.now();
  await Promise.all(connections.map(worker));
  const seconds = (performance.now() - started) / 1000;
  const cpuAfter = cpuNs(pids);
  const cpuUs =
    cpuBefore === null || cpuAfter === null
      ? null
      : (cpuAfter - cpuBefore) / 1000 / workload.statements;
  return { rate: workload.statements / seconds, cpuUs };
}

/**
 * For each workload: one warm-up run, then `rounds` × (with, without),
 * alternating, so drift and background load hit both sides alike.
 */
export async function measureOverhead(
  handle: DatabaseHandle,
  workloads: Workload[],
  options: { rounds: number; connections: number; log: (line: string) => void },
): Promise<OverheadResult[]> {
  const sql = postgres(handle.url!, { max: options.connections + 1, onnotice: () => {} });
  const connections: Connection[] = [];
  const results: OverheadResult[] = [];
  try {
    for (let i = 0; i < options.connections; i++) {
      const reserved = await sql.reserve();
      const [row] = await reserved<{ pid: number }[]>`select pg_backend_pid() as pid`;
      connections.push({ reserved, pid: row!.pid });
    }
    for (const workload of workloads) {
      const result: OverheadResult = { workload, guarded: [], unguarded: [] };
      await installReadOnlyGuard(handle.db);
      await timedRun(sql, connections, workload); // warm-up, not counted
      for (let round = 0; round < options.rounds; round++) {
        for (const guarded of [true, false]) {
          if (guarded) await installReadOnlyGuard(handle.db);
          else await dropGuard(sql);
          const triggers = await guardTriggerCount(sql);
          if (guarded !== triggers > 0) throw new Error(`guard state wrong: ${triggers} triggers`);
          const sample = await timedRun(sql, connections, workload);
          (guarded ? result.guarded : result.unguarded).push(sample);
          options.log(
            `  ${workload.label} round ${round + 1} ${guarded ? "with   " : "without"}: ${sample.rate.toFixed(0)} stmt/s, backend CPU ${sample.cpuUs?.toFixed(1) ?? "?"} µs/stmt`,
          );
        }
      }
      results.push(result);
    }
  } finally {
    for (const { reserved } of connections) reserved.release();
    await installReadOnlyGuard(handle.db);
    await sql.end({ timeout: 5 });
  }
  return results;
}
