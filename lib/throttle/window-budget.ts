import { sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { rowsOf } from "@/db/rows";

/**
 * A budget of attempts per fixed window, kept in one row per key of
 * `liftoff_cluster.sign_in_throttle` (the sign-in throttle's table; keys are
 * prefixed by who uses them: `address:`, `store-key:`, `store-caller:`).
 *
 * The attempt is counted in the same statement that decides whether it may
 * go ahead (INSERT ... ON CONFLICT DO UPDATE ... WHERE takes the row lock),
 * so parallel attempts on any number of nodes are all counted and none slips
 * through between a read and a write. An attempt refused changes nothing.
 */
export interface WindowBudget {
  /** Attempts a key may make per window. */
  budget: number;
  windowMs: number;
}

type Executor = Pick<Database, "execute">;

/** Counts one attempt for `key`; false when its budget for this window is spent. */
export async function claimWindowSlot(
  db: Executor,
  key: string,
  limit: WindowBudget,
  now: Date = new Date(),
): Promise<boolean> {
  const at = now.toISOString();
  const windowStart = new Date(now.getTime() - limit.windowMs).toISOString();
  const counted = rowsOf(
    await db.execute(sql`
      insert into liftoff_cluster.sign_in_throttle as t
        (key, failures, window_started_at, blocked_until, updated_at)
      values (${key}, 1, ${at}::timestamptz, ${at}::timestamptz, ${at}::timestamptz)
      on conflict (key) do update set
        failures = case when t.window_started_at <= ${windowStart}::timestamptz then 1 else t.failures + 1 end,
        window_started_at = case when t.window_started_at <= ${windowStart}::timestamptz
          then ${at}::timestamptz else t.window_started_at end,
        updated_at = ${at}::timestamptz
      where t.window_started_at <= ${windowStart}::timestamptz or t.failures < ${limit.budget}
      returning 1`),
  );
  return counted.length > 0;
}

/** Gives a counted attempt back (it turned out to be a success that the budget does not count). */
export async function returnWindowSlot(db: Executor, key: string): Promise<void> {
  await db.execute(sql`update liftoff_cluster.sign_in_throttle
    set failures = greatest(failures - 1, 0) where key = ${key}`);
}

/** Whole seconds until `key`'s window starts over (at least 1). */
export async function secondsUntilWindowEnds(
  db: Executor,
  key: string,
  limit: WindowBudget,
  now: Date = new Date(),
): Promise<number> {
  const [row] = rowsOf<{ window_started_at: string | Date }>(
    await db.execute(sql`select window_started_at
      from liftoff_cluster.sign_in_throttle where key = ${key}`),
  );
  if (!row) return 1;
  const until = new Date(row.window_started_at).getTime() + limit.windowMs;
  return Math.max(1, Math.ceil((until - now.getTime()) / 1000));
}
