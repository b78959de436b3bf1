import { eq, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { rowsOf } from "@/db/rows";
import { schedulerState } from "@/db/schema";
import { channels, notify } from "@/lib/cluster/notify";
import { AppError } from "@/lib/errors";
import { bossSchema } from "./boss";

/** (LIFT, 2): a fetch holds it shared for its gate transaction; pause takes it exclusive. */
export const schedulerLockKey = [0x4c494654, 2] as const;

/** A node whose heartbeat is older than this is gone; its running job is not waited for. */
export const nodeStaleAfterSeconds = 30;

export interface PauseOptions {
  reason: string;
  /** How long to wait for running jobs to finish. */
  drainTimeoutMs?: number;
  pollMs?: number;
}

/**
 * Pauses the scheduler on every node. When it returns, no job starts anywhere
 * and every job that was running has finished. The flag is committed first;
 * then taking the fetch lock exclusively waits for fetches already under way
 * (each checks the flag after taking the lock shared, so any later fetch sees
 * it); then it waits for the jobs pg-boss holds active to finish, up to a bound.
 */
export async function pauseScheduler(db: Database, options: PauseOptions): Promise<void> {
  await db.transaction(async (tx) => {
    await tx
      .update(schedulerState)
      .set({ paused: true, reason: options.reason, changedAt: new Date() })
      .where(eq(schedulerState.id, 1));
    await notify(tx, channels.scheduler, { paused: true });
  });
  await db.transaction(async (tx) => {
    await tx.execute(
      sql`select pg_advisory_xact_lock(${schedulerLockKey[0]}, ${schedulerLockKey[1]})`,
    );
  });
  const drainTimeoutMs = options.drainTimeoutMs ?? 60_000;
  const deadline = Date.now() + drainTimeoutMs;
  for (;;) {
    const running = await runningJobs(db);
    if (running.length === 0) return;
    if (Date.now() >= deadline) {
      throw new AppError(
        "conflict",
        "scheduler_drain",
        `Background jobs still running after ${drainTimeoutMs / 1000} s: ${running
          .map((r) => `${r.name} on ${r.node ?? "a node that has not said"}`)
          .join(", ")}.`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 50));
  }
}

/** Resumes the scheduler on every node; idempotent. */
export async function resumeScheduler(db: Database): Promise<void> {
  await db.transaction(async (tx) => {
    await tx
      .update(schedulerState)
      .set({ paused: false, reason: null, changedAt: new Date() })
      .where(eq(schedulerState.id, 1));
    await notify(tx, channels.scheduler, { paused: false });
  });
}

export async function isSchedulerPaused(db: Database): Promise<boolean> {
  const [row] = await db
    .select({ paused: schedulerState.paused })
    .from(schedulerState)
    .where(eq(schedulerState.id, 1));
  return row?.paused ?? false;
}

/**
 * The jobs pg-boss holds active, with the node running each, leaving out
 * those of nodes that stopped heartbeating (pg-boss's expiry takes them back).
 * A job whose node has not recorded it yet counts while it is young: its
 * node records it in the transaction that fetched it, or just after.
 */
async function runningJobs(db: Database) {
  if (!(await bossInstalled(db))) return [];
  return rowsOf<{ name: string; node: string | null }>(
    await db.execute(sql`
      select j.name, n.id as node
      from ${sql.identifier(bossSchema)}.job j
      left join liftoff_cluster.nodes n on j.id::text = any(n.running_job_ids)
      where j.state = 'active'
        and (case when n.id is null
               then j.started_on > now() - make_interval(secs => ${nodeStaleAfterSeconds})
               else n.last_seen_at > now() - make_interval(secs => ${nodeStaleAfterSeconds}) end)
      order by j.name`),
  );
}

/** Until a node has started, pg-boss's schema does not exist and nothing runs. */
export async function bossInstalled(db: Database): Promise<boolean> {
  const [row] = rowsOf<{ ok: boolean }>(
    await db.execute(sql`select to_regclass(${`${bossSchema}.job`}) is not null as ok`),
  );
  return row?.ok ?? false;
}
