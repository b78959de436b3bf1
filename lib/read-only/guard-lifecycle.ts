import { sql } from "drizzle-orm";
import type postgres from "postgres";
import type { Database } from "@/db/client";
import { rowsOf } from "@/db/rows";
import { pgErrorCode } from "@/lib/errors";
import {
  GUARD_TRIGGERS,
  guardChangeLockKey,
  guardFunctionStatements,
  quoteIdent,
  quoteLiteral,
  tableGuards,
} from "./guard";

/**
 * The guard's triggers exist only while read-only mode is on: each one costs
 * every write a PL/pgSQL call, an advisory lock and a flag read, all year,
 * for a mode that is on for minutes. Enable installs them, disable removes
 * them, and start-up and every heartbeat make them follow the persisted flag.
 */

type Row = Record<string, unknown>;
type Query = (text: string) => Promise<Row[]>;

/** A connection the guard's DDL runs on: each call of `transaction` is one transaction. */
export interface GuardConnection {
  transaction<T>(work: (query: Query) => Promise<T>): Promise<T>;
}

export function drizzleGuardConnection(db: Database): GuardConnection {
  return {
    transaction: (work) =>
      db.transaction((tx) => work(async (text) => rowsOf<Row>(await tx.execute(sql.raw(text))))),
  };
}

/** On one dedicated postgres.js connection, so that its session locks span the transactions. */
export function postgresGuardConnection(connection: postgres.Sql): GuardConnection {
  return {
    transaction: async <T>(work: (query: Query) => Promise<T>) =>
      (await connection.begin((tx) => work(async (text) => [...(await tx.unsafe(text))]))) as T,
  };
}

export const LOCK_TIMEOUT_SQLSTATE = "55P03";
const lockKey = `${guardChangeLockKey[0]}, ${guardChangeLockKey[1]}`;

export interface GuardTrigger {
  table: string;
  name: string;
  enabled: boolean;
}

/** The guard's triggers as they are in the database now. */
export async function readOnlyGuardTriggers(db: Database): Promise<GuardTrigger[]> {
  return rowsOf<GuardTrigger>(
    await db.execute(sql`select c.relname as "table", t.tgname as "name", t.tgenabled <> 'D' as "enabled"
      from pg_trigger t join pg_class c on c.oid = t.tgrelid
      join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and not t.tgisinternal
        and t.tgname in (${sql.raw(GUARD_TRIGGERS.map(quoteLiteral).join(", "))})
      order by c.relname, t.tgname`),
  );
}

/**
 * Puts the guard on every app table, each table in a transaction of its own:
 * `create trigger` takes the table's SHARE ROW EXCLUSIVE lock, so it waits for
 * the writers already in that table (a drain), and holding table A's lock
 * while waiting for B's could deadlock with a writer that holds B and wants
 * A. One table at a time, nothing is held while waiting, and a writer queues
 * behind one table's lock for one short transaction only. Every wait ends at
 * `deadline` (lock_timeout, SQLSTATE 55P03). Idempotent; re-enables a trigger
 * a removal could only disable.
 */
export async function installReadOnlyGuard(
  connection: GuardConnection,
  db: Database,
  deadline: number,
): Promise<void> {
  const remaining = () => Math.max(1, Math.ceil(deadline - Date.now()));
  const begin = async (query: Query) => {
    await query(`set local lock_timeout = ${remaining()}`);
    // Two nodes replacing the same function at once fail with "tuple concurrently updated".
    await query(`select pg_advisory_xact_lock(${lockKey})`);
  };
  await connection.transaction(async (query) => {
    await begin(query);
    for (const statement of guardFunctionStatements()) await query(statement);
  });
  const present = await readOnlyGuardTriggers(db);
  for (const { table, triggers } of tableGuards()) {
    // A trigger this table no longer wants (its exemption changed): dropped,
    // which takes ACCESS EXCLUSIVE, so only when there is one.
    const unwanted = present.filter((p) => p.table === table && !triggers.has(p.name));
    if (!triggers.size && !unwanted.length) continue;
    await connection.transaction(async (query) => {
      await begin(query);
      for (const statement of triggers.values()) await query(statement);
      for (const { name } of unwanted) {
        await query(`drop trigger if exists ${name} on ${quoteIdent(table)}`);
      }
    });
  }
}

export interface RemovalResult {
  /** Tables that still carry a guard trigger (disabled where its lock allowed). */
  remaining: string[];
  /** Why removal stopped early, if it did. */
  stopped?: "read-only on" | "guard being changed";
}

/**
 * Takes the guard off every table, only while read-only mode is off, and
 * never waits long: `drop trigger` needs ACCESS EXCLUSIVE, which queues
 * behind any reader (a dump) and, while queued, holds up every later reader
 * and writer of that table. So a table another session has locked is not
 * dropped but disabled (SHARE ROW EXCLUSIVE does not wait for readers; a
 * disabled statement trigger costs nothing, a disabled row trigger still
 * locks each row it would have seen), and any wait ends after
 * `lockTimeoutMs`. What is left is retried by the next start or heartbeat.
 * A trigger left behind passes every write once the flag is off and the
 * lock released, so writes are never blocked by what this leaves.
 */
export async function removeReadOnlyGuard(
  db: Database,
  options: { lockTimeoutMs?: number } = {},
): Promise<RemovalResult> {
  const timeout = Math.max(1, options.lockTimeoutMs ?? 50);
  const present = await readOnlyGuardTriggers(db);
  const tables = [...new Set(present.map((p) => p.table))];
  const remaining = new Set(tables);
  const connection = drizzleGuardConnection(db);
  for (const table of tables) {
    const t = quoteIdent(table);
    const triggers = present.filter((p) => p.table === table);
    const outcome = await connection
      .transaction(async (query) => {
        // Checked per table, under the lock an enable holds until its flag is
        // on: a removal can never take off a guard that read-only relies on.
        const [lock] = await query(`select pg_try_advisory_xact_lock(${lockKey}) as got`);
        if (!lock?.got) return "guard being changed" as const;
        const [state] = await query(
          "select enabled from liftoff_cluster.read_only_state where id = 1",
        );
        if (state?.enabled !== false) return "read-only on" as const;
        await query(`set local lock_timeout = ${timeout}`);
        // Relation OIDs repeat across databases made from one template.
        const inUse = await query(`select 1 from pg_locks
          where locktype = 'relation' and granted and pid <> pg_backend_pid()
            and database = (select oid from pg_database where datname = current_database())
            and relation = ${quoteLiteral(`public.${t}`)}::regclass limit 1`);
        if (!inUse.length) {
          await query("savepoint drop_guard");
          try {
            for (const { name } of triggers) await query(`drop trigger if exists ${name} on ${t}`);
            return "dropped" as const;
          } catch (error) {
            if (pgErrorCode(error) !== LOCK_TIMEOUT_SQLSTATE) throw error;
            await query("rollback to savepoint drop_guard");
          }
        }
        for (const { name } of triggers.filter((p) => p.enabled)) {
          await query(`alter table ${t} disable trigger ${name}`);
        }
        return "disabled" as const;
      })
      .catch((error: unknown) => {
        if (pgErrorCode(error) !== LOCK_TIMEOUT_SQLSTATE) throw error;
        return "left" as const;
      });
    if (outcome === "dropped") remaining.delete(table);
    if (outcome === "read-only on" || outcome === "guard being changed") {
      return { remaining: [...remaining], stopped: outcome };
    }
  }
  return { remaining: [...remaining] };
}

/**
 * Makes the guard follow the persisted flag, as every start does: on → on
 * every table (a crash mid-enable or a table added by a migration), off →
 * taken off (a crash mid-disable, or one left by a long reader). A crash
 * leaves the guard in place, the safe side, until this runs.
 */
export async function reconcileReadOnlyGuard(
  db: Database,
  options: { lockTimeoutMs?: number } = {},
): Promise<RemovalResult | null> {
  const [state] = rowsOf<{ enabled: boolean }>(
    await db.execute(sql`select enabled from liftoff_cluster.read_only_state where id = 1`),
  );
  if (!state) throw new Error("liftoff_cluster.read_only_state has no row: migrations incomplete");
  if (!state.enabled) return removeReadOnlyGuard(db);
  // While read-only is on, only exempt writers can hold up a table, briefly.
  await installReadOnlyGuard(
    drizzleGuardConnection(db),
    db,
    Date.now() + (options.lockTimeoutMs ?? 30_000),
  );
  return null;
}
