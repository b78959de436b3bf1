import { and, eq, sql } from "drizzle-orm";
import postgres from "postgres";
import type { Database, DatabaseHandle } from "@/db/client";
import { readOnlyState } from "@/db/schema";
import { channels, notify } from "@/lib/cluster/notify";
import { AppError, pgErrorCode } from "@/lib/errors";
import { log } from "@/lib/log";
import { guardChangeLockKey, readOnlyLockKey } from "./guard";
import {
  drizzleGuardConnection,
  installReadOnlyGuard,
  LOCK_TIMEOUT_SQLSTATE,
  postgresGuardConnection,
  removeReadOnlyGuard,
} from "./guard-lifecycle";
import { setLocalReadOnlyState } from "./local-state";

export interface ReadOnlyStatus {
  enabled: boolean;
  reason: string | null;
  source: string | null;
  changedById: number | null;
  changedAt: Date;
}

export async function readOnlyStatus(db: Database): Promise<ReadOnlyStatus> {
  const [row] = await db
    .select({
      enabled: readOnlyState.enabled,
      reason: readOnlyState.reason,
      source: readOnlyState.source,
      changedById: readOnlyState.changedById,
      changedAt: readOnlyState.changedAt,
    })
    .from(readOnlyState)
    .where(eq(readOnlyState.id, 1));
  if (!row) throw new Error("liftoff_cluster.read_only_state has no row: migrations incomplete");
  return row;
}

// The connection holding the exclusive lock, per database URL, in this process.
const leases = globalThis as unknown as { liftoffReadOnlyLeases?: Map<string, postgres.Sql> };
const leaseMap = () => (leases.liftoffReadOnlyLeases ??= new Map<string, postgres.Sql>());

export interface EnableOptions {
  reason: string;
  source: "maintenance" | `migration:${number}` | "test";
  actorId?: number | null;
  /** How long to wait for write transactions already under way. */
  drainTimeoutMs?: number;
}

/**
 * Switches read-only mode on and returns only when no write can commit any
 * more and every acknowledged write is visible to a new snapshot.
 *
 * First the guard's triggers go on (they exist only while read-only is on):
 * each table's `create trigger` waits for the writers already in it, and
 * every write after it goes through the trigger, which takes the advisory
 * lock below in shared mode. Then, on PostgreSQL, a dedicated connection takes
 * that lock in exclusive mode: that waits for every transaction that has
 * written through the trigger and, from the moment it starts waiting, makes
 * every new guarded write fail — whatever its snapshot or isolation level.
 * Both waits together end after `drainTimeoutMs`; past it, what was
 * installed is taken off again and read-only stays off. The lock is held
 * until read-only ends; the persisted flag keeps the guard up if that
 * connection dies. PGlite runs one transaction at a time, so there the
 * triggers and the flag suffice.
 */
export async function enableReadOnly(
  handle: DatabaseHandle,
  options: EnableOptions,
): Promise<void> {
  const drainMs = Math.max(1, options.drainTimeoutMs ?? 30_000);
  const deadline = Date.now() + drainMs;
  let holder: postgres.Sql | undefined;
  try {
    if (handle.engine === "postgres" && handle.url) {
      holder = await liveLease(handle);
      // Read-only already on in this process: its lock is held; the guard is
      // reinstalled (idempotent) in case a table was added since.
      if (holder) await installReadOnlyGuard(postgresGuardConnection(holder), handle.db, deadline);
      else holder = await takeLease(handle, deadline);
    } else {
      await installReadOnlyGuard(drizzleGuardConnection(handle.db), handle.db, deadline);
    }
    await handle.db.transaction(async (tx) => {
      await tx
        .update(readOnlyState)
        .set({
          enabled: true,
          reason: options.reason,
          source: options.source,
          changedById: options.actorId ?? null,
          changedAt: new Date(),
        })
        .where(eq(readOnlyState.id, 1));
      await notify(tx, channels.readOnly, { enabled: true });
    });
  } catch (error) {
    if (holder && handle.url && leaseMap().get(handle.url) !== holder) {
      await holder.end({ timeout: 1 }).catch(() => {});
    }
    // Nothing half-installed stays behind (a removal skips it if read-only
    // is on after all, e.g. held by another node).
    await removeReadOnlyGuard(handle.db).catch(() => {});
    if (pgErrorCode(error) === LOCK_TIMEOUT_SQLSTATE) {
      throw new AppError(
        "conflict",
        "read_only_drain",
        `Read-only mode could not start: writes still under way after ${drainMs / 1000} s (${String(error)}).`,
      );
    }
    throw error;
  }
  if (holder && handle.url && !leaseMap().has(handle.url)) {
    leaseMap().set(handle.url, holder);
    // Removals may run again: the flag is on, so they leave the guard alone.
    await holder`select pg_advisory_unlock(${guardChangeLockKey[0]}, ${guardChangeLockKey[1]})`.catch(
      () => {}, // the connection died: both locks went with it, the flag holds
    );
  }
  setLocalReadOnlyState({ enabled: true, reason: options.reason });
}

/** This process's lock connection if it still answers; a dead one is dropped. */
async function liveLease(handle: DatabaseHandle): Promise<postgres.Sql | undefined> {
  const holder = handle.url ? leaseMap().get(handle.url) : undefined;
  if (!holder) return undefined;
  try {
    await holder`select 1`;
    return holder;
  } catch {
    await releaseLocalLease(handle);
    return undefined;
  }
}

/**
 * Opens the connection that will hold the exclusive lock, installs the guard
 * through it and takes the lock. It holds the guard-change lock throughout,
 * until the flag is on, so that no removal (another node's disable or
 * heartbeat) can take off what it has just installed.
 */
async function takeLease(handle: DatabaseHandle, deadline: number): Promise<postgres.Sql> {
  const holder = postgres(handle.url!, {
    max: 1,
    // 0 = never recycled: the lock lives exactly as long as this connection.
    idle_timeout: 0,
    max_lifetime: 0,
    onnotice: () => {},
    connection: { application_name: "liftoff-read-only-lock" },
  });
  const remaining = () => Math.max(1, Math.ceil(deadline - Date.now()));
  try {
    await holder.unsafe(`set lock_timeout = ${remaining()}`);
    await holder`select pg_advisory_lock(${guardChangeLockKey[0]}, ${guardChangeLockKey[1]})`;
    await installReadOnlyGuard(postgresGuardConnection(holder), handle.db, deadline);
    await holder.unsafe(`set lock_timeout = ${remaining()}`);
    await holder`select pg_advisory_lock(${readOnlyLockKey[0]}, ${readOnlyLockKey[1]})`;
    return holder;
  } catch (error) {
    // Ending the connection releases both locks.
    await holder.end({ timeout: 1 }).catch(() => {});
    throw error;
  }
}

/** Switches read-only mode off, from any node; idempotent. */
export async function disableReadOnly(
  handle: DatabaseHandle,
  options: { actorId?: number | null } = {},
): Promise<void> {
  await handle.db.transaction(async (tx) => {
    await tx
      .update(readOnlyState)
      .set({ enabled: false, changedById: options.actorId ?? null, changedAt: new Date() })
      .where(eq(readOnlyState.id, 1));
    await notify(tx, channels.readOnly, { enabled: false });
  });
  setLocalReadOnlyState({ enabled: false, reason: null });
  await releaseLocalLease(handle);
  if (handle.engine === "postgres") {
    // The lock may be held by another node that has not heard yet (or hangs):
    // its connection exists only to hold this lock, so ending it is safe.
    await handle.db.execute(sql`
      select pg_terminate_backend(pid) from pg_locks
      where locktype = 'advisory' and classid = ${readOnlyLockKey[0]} and objid = ${readOnlyLockKey[1]}
        and objsubid = 2 and mode = 'ExclusiveLock' and granted
        and database = (select oid from pg_database where datname = current_database())
        and pid <> pg_backend_pid()`);
  }
  // Writes already pass (flag off, lock gone); taking the triggers off only
  // saves their cost, so it never waits long, and what a long reader keeps
  // in place is retried by the heartbeat (lib/cluster/node.ts).
  const { remaining, stopped } = await removeReadOnlyGuard(handle.db);
  // Stopped: another node's removal or a new enable has the guard in hand.
  if (remaining.length && !stopped) {
    log.info({ tables: remaining }, "read-only guard left on busy tables, retried later");
  }
}

/**
 * Hands a read-only mode that is on from one holder to another (a migration's
 * freeze becomes the instance's "moved to the cloud"), only if `from` still
 * holds it. True when it did.
 */
export async function handOverReadOnly(
  handle: DatabaseHandle,
  from: string,
  to: { source: string; reason: string },
): Promise<boolean> {
  return handle.db.transaction(async (tx) => {
    const changed = await tx
      .update(readOnlyState)
      .set({ source: to.source, reason: to.reason, changedAt: new Date() })
      .where(
        and(
          eq(readOnlyState.id, 1),
          eq(readOnlyState.enabled, true),
          eq(readOnlyState.source, from),
        ),
      )
      .returning({ id: readOnlyState.id });
    if (!changed.length) return false;
    await notify(tx, channels.readOnly, { enabled: true });
    setLocalReadOnlyState({ enabled: true, reason: to.reason });
    return true;
  });
}

/** Drops this process's lock connection, if it holds one. */
export async function releaseLocalLease(handle: DatabaseHandle): Promise<void> {
  if (!handle.url) return;
  const holder = leaseMap().get(handle.url);
  if (!holder) return;
  leaseMap().delete(handle.url);
  try {
    await holder`select pg_advisory_unlock(${readOnlyLockKey[0]}, ${readOnlyLockKey[1]})`;
  } catch {
    // already terminated by another node's disable: the lock went with it
  }
  await holder.end({ timeout: 1 });
}
