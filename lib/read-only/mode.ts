import { and, eq, sql } from "drizzle-orm";
import postgres from "postgres";
import type { Database, DatabaseHandle } from "@/db/client";
import { readOnlyState } from "@/db/schema";
import { channels, notify } from "@/lib/cluster/notify";
import { AppError } from "@/lib/errors";
import { readOnlyLockKey } from "./guard";
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
 * On PostgreSQL a dedicated connection takes the guard's advisory lock in
 * exclusive mode: that waits for every transaction that already wrote to a
 * guarded table (they hold it shared) and, from the moment it starts waiting,
 * makes every new guarded write fail — whatever its snapshot or isolation
 * level. The lock is held until read-only ends; the persisted flag keeps the
 * guard up if that connection dies. PGlite runs one transaction at a time, so
 * the flag alone suffices there.
 */
export async function enableReadOnly(
  handle: DatabaseHandle,
  options: EnableOptions,
): Promise<void> {
  if (handle.engine === "postgres" && handle.url && !leaseMap().has(handle.url)) {
    const holder = postgres(handle.url, {
      max: 1,
      // 0 = never recycled: the lock lives exactly as long as this connection.
      idle_timeout: 0,
      max_lifetime: 0,
      onnotice: () => {},
      connection: { application_name: "liftoff-read-only-lock" },
    });
    try {
      await holder.unsafe(`set lock_timeout = ${Math.max(1, options.drainTimeoutMs ?? 30_000)}`);
      await holder`select pg_advisory_lock(${readOnlyLockKey[0]}, ${readOnlyLockKey[1]})`;
    } catch (error) {
      await holder.end({ timeout: 1 });
      throw new AppError(
        "conflict",
        "read_only_drain",
        `Read-only mode could not start: writes still under way after ${(options.drainTimeoutMs ?? 30_000) / 1000} s (${String(error)}).`,
      );
    }
    leaseMap().set(handle.url, holder);
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
  setLocalReadOnlyState({ enabled: true, reason: options.reason });
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
