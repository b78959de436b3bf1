import { eq, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { rowsOf } from "@/db/rows";
import { schedulerState } from "@/db/schema";
import { channels, notify } from "@/lib/cluster/notify";
import { AppError } from "@/lib/errors";

/** (LIFT, 2): a claim holds it shared for its transaction; pause takes it exclusive. */
export const schedulerLockKey = [0x4c494654, 2] as const;

/** A node whose heartbeat is older than this is gone; its running job is released. */
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
 * then taking the claim lock exclusively waits for claims already under way
 * (a claim checks the flag inside the same transaction, so any later claim
 * sees it); then it waits for running jobs to finish, up to a bound.
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
  const deadline = Date.now() + (options.drainTimeoutMs ?? 60_000);
  for (;;) {
    await releaseJobsOfDeadNodes(db);
    const running = await runningJobs(db);
    if (running.length === 0) return;
    if (Date.now() >= deadline) {
      throw new AppError(
        "conflict",
        "scheduler_drain",
        `Background jobs still running after ${(options.drainTimeoutMs ?? 60_000) / 1000} s: ${running
          .map((r) => `${r.name} on ${r.runningNode}`)
          .join(", ")}.`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 100));
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

async function runningJobs(db: Database) {
  return rowsOf<{ name: string; runningNode: string }>(
    await db.execute(sql`select name, running_node as "runningNode" from liftoff_cluster.jobs
      where running_node is not null`),
  );
}

/** A job left marked running by a node that stopped heartbeating is free again. */
export async function releaseJobsOfDeadNodes(db: Database): Promise<void> {
  await db.execute(sql`
    update liftoff_cluster.jobs j
    set running_node = null, running_since = null,
        last_error = 'the node running it stopped', failure_count = failure_count + 1
    where running_node is not null and not exists (
      select 1 from liftoff_cluster.nodes n
      where n.id = j.running_node
        and n.last_seen_at > now() - make_interval(secs => ${nodeStaleAfterSeconds}))`);
}
