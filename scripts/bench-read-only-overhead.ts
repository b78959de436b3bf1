/**
 * The overhead half of `npm run bench:read-only`: what read-only mode costs
 * writes while it is OFF. Write workloads run, alternating, against the same
 * database in three states ("arms"):
 * - baseline: no guard was ever installed (no trigger, no function);
 * - off: after a real enableReadOnly + disableReadOnly, i.e. what every
 *   instance runs in all year; the goal is baseline within noise;
 * - left disabled: every guard trigger disabled, not dropped, with the flag
 *   off: what a disable leaves on a table a long reader held, until the next
 *   heartbeat drops it (a reference, not a goal).
 * Besides wall-clock throughput it reads the CPU time the server backends
 * spent (/proc/<pid>/schedstat, ns), which other load on the machine disturbs
 * far less, and the WAL the server wrote meanwhile; CPU only when the server
 * runs here.
 */
import fs from "node:fs";
import postgres from "postgres";
import type { DatabaseHandle } from "@/db/client";
import {
  disableReadOnly,
  enableReadOnly,
  readOnlyGuardTriggers,
  releaseLocalLease,
  removeReadOnlyGuard,
} from "@/lib/read-only";

export const arms = ["baseline", "off", "left disabled"] as const;
export type Arm = (typeof arms)[number];

/** Guarded tables with no required foreign keys. */
const insertTables = [
  { name: "collections", columns: "(name)", values: "('bench')" },
  { name: "dashboards", columns: "(name)", values: "('bench')" },
  { name: "report_snapshots", columns: "(kind, body)", values: "('bench', 'body')" },
] as const;
const cardRows = 1000;

export interface Workload {
  label: string;
  /** Autocommit statements (= transactions) per run, over all connections. */
  statements: number;
  /** insert: round-robin into three guarded tables; update: one card by key (a row trigger). */
  kind: "insert" | "update";
  rowsPerStatement: number;
  synchronousCommit: "on" | "off";
}

export interface Sample {
  /** Statements per second. */
  rate: number;
  /** Server backend CPU per statement, µs; null when /proc cannot tell. */
  cpuUs: number | null;
  /**
   * WAL bytes per statement, server-wide: only meaningful when nothing else
   * writes to the server (PostgreSQL 15 counts WAL per server, not per backend).
   */
  walBytes: number;
}

export interface OverheadResult {
  workload: Workload;
  samples: Record<Arm, Sample[]>;
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

const guardFunctions = [
  "public.liftoff_read_only_check(text, text)",
  "public.liftoff_read_only_guard()",
  "public.liftoff_read_only_guard_rows()",
];

/** Puts the database in `arm`'s state and checks it is there. */
async function enter(handle: DatabaseHandle, sql: postgres.Sql, arm: Arm): Promise<void> {
  if (arm === "baseline") {
    await removeReadOnlyGuard(handle.db);
    for (const f of guardFunctions) await sql.unsafe(`drop function if exists ${f}`);
  } else {
    await enableReadOnly(handle, { reason: "bench", source: "test" });
    if (arm === "off") {
      await disableReadOnly(handle);
    } else {
      // A disable that found every table busy: flag off, lock gone, triggers disabled.
      await sql`update liftoff_cluster.read_only_state set enabled = false`;
      await releaseLocalLease(handle);
      for (const { table, name } of await readOnlyGuardTriggers(handle.db)) {
        await sql.unsafe(`alter table "${table}" disable trigger ${name}`);
      }
    }
  }
  const triggers = await readOnlyGuardTriggers(handle.db);
  const [{ n: functions }] = await sql<[{ n: number }]>`select count(*)::int as n from pg_proc
    where proname like 'liftoff_read_only%'`;
  const ok =
    arm === "left disabled"
      ? triggers.length > 0 && triggers.every((t) => !t.enabled)
      : triggers.length === 0 && (arm === "off" || functions === 0);
  if (!ok) throw new Error(`state ${arm} wrong: ${JSON.stringify({ triggers, functions })}`);
}

/** One timed run: the connections share the statements. */
async function timedRun(sql: postgres.Sql, connections: Connection[], workload: Workload) {
  await sql.unsafe(
    `truncate ${[...insertTables.map((t) => t.name), "cards"].join(", ")} restart identity cascade`,
  );
  if (workload.kind === "update") {
    await sql`insert into cards (name, query) select 'bench ' || g, '{}' from generate_series(1, ${cardRows}) g`;
  }
  const texts = insertTables.map(
    (t) =>
      `insert into ${t.name} ${t.columns} values ${Array<string>(workload.rowsPerStatement).fill(t.values).join(", ")}`,
  );
  const statement = (i: number): [string, number[]] =>
    workload.kind === "insert"
      ? [texts[i % texts.length]!, []]
      : ["update cards set description = 'bench' where id = $1", [1 + ((i * 7919) % cardRows)]];
  for (const { reserved } of connections) {
    await reserved.unsafe(`set synchronous_commit = ${workload.synchronousCommit}`);
  }
  await sql`checkpoint`; // no full-page images in one arm and not the other
  let next = 0;
  const worker = async ({ reserved }: Connection) => {
    for (let i = next++; i < workload.statements; i = next++) {
      const [text, params] = statement(i);
      await reserved.unsafe(text, params, { prepare: true });
    }
  };
  const pids = connections.map((c) => c.pid);
  const [{ lsn: walBefore }] = await sql<
    [{ lsn: string }]
  >`select pg_current_wal_insert_lsn() as lsn`;
  const cpuBefore = cpuNs(pids);
  const started = performance.now();
  await Promise.all(connections.map(worker));
  const seconds = (performance.now() - started) / 1000;
  const cpuAfter = cpuNs(pids);
  const [{ bytes }] = await sql<[{ bytes: string }]>`select
    pg_wal_lsn_diff(pg_current_wal_insert_lsn(), ${walBefore}) as bytes`;
  const cpuUs =
    cpuBefore === null || cpuAfter === null
      ? null
      : (cpuAfter - cpuBefore) / 1000 / workload.statements;
  return {
    rate: workload.statements / seconds,
    cpuUs,
    walBytes: Number(bytes) / workload.statements,
  };
}

/**
 * For each workload: one warm-up run, then `rounds` × every arm, the order
 * rotated each round, so drift and background load hit all arms alike.
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
      const result: OverheadResult = {
        workload,
        samples: { baseline: [], off: [], "left disabled": [] },
      };
      await timedRun(sql, connections, workload); // warm-up, not counted
      for (let round = 0; round < options.rounds; round++) {
        for (let k = 0; k < arms.length; k++) {
          const arm = arms[(round + k) % arms.length]!;
          await enter(handle, sql, arm);
          const sample = await timedRun(sql, connections, workload);
          result.samples[arm].push(sample);
          options.log(
            `  ${workload.label} round ${round + 1} ${arm.padEnd(13)}: ${sample.rate.toFixed(0)} stmt/s, backend CPU ${sample.cpuUs?.toFixed(1) ?? "?"} µs/stmt, WAL ${sample.walBytes.toFixed(0)} B/stmt`,
          );
        }
      }
      results.push(result);
    }
  } finally {
    for (const { reserved } of connections) reserved.release();
    await disableReadOnly(handle);
    await sql.end({ timeout: 5 });
  }
  return results;
}
