import { sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { rowsOf } from "@/db/rows";
import { assertAdmin, type Actor } from "@/lib/auth/actor";
import { bossSchema } from "./boss";
import { bossInstalled } from "./control";

/** One queue as pg-boss records it, for the admin's jobs table. */
export interface JobOverview {
  name: string;
  cron: string | null;
  /** The newest job's state: created, retry, active, completed, cancelled, failed. */
  state: string | null;
  lastStartedAt: Date | null;
  lastFinishedAt: Date | null;
  lastDurationMs: number | null;
  /** Retries the newest job has used, of its limit. */
  retryCount: number | null;
  retryLimit: number | null;
  /** The newest failure's message, if the newest finished run failed. */
  lastError: string | null;
  nextRunAt: Date | null;
}

/** Reads pg-boss's own tables: its queues, schedules and each queue's newest jobs. For admins only. */
export async function jobOverview(
  db: Database,
  actor: Actor,
  nextOccurrence: (cron: string, timezone: string) => Date | null,
): Promise<JobOverview[]> {
  assertAdmin(actor);
  if (!(await bossInstalled(db))) return [];
  const schema = sql.identifier(bossSchema);
  const rows = rowsOf<{
    name: string;
    cron: string | null;
    timezone: string | null;
    state: string | null;
    retryCount: number | null;
    retryLimit: number | null;
    lastStartedAt: Date | string | null;
    lastFinishedAt: Date | string | null;
    lastDurationMs: number | null;
    lastState: string | null;
    lastOutput: { message?: string } | null;
  }>(
    await db.execute(sql`
      select q.name, s.cron, s.timezone,
             newest.state, newest.retry_count as "retryCount", newest.retry_limit as "retryLimit",
             done.started_on as "lastStartedAt", done.completed_on as "lastFinishedAt",
             (extract(epoch from done.completed_on - done.started_on) * 1000)::int as "lastDurationMs",
             coalesce(case when newest.state in ('retry', 'failed') then newest.state end, done.state)
               as "lastState",
             case when newest.state in ('retry', 'failed') then newest.output else done.output end
               as "lastOutput"
      from ${schema}.queue q
      left join ${schema}.schedule s on s.name = q.name and s.key = ''
      left join lateral (
        select j.state, j.retry_count, j.retry_limit, j.output from ${schema}.job j
        where j.name = q.name order by j.created_on desc limit 1) newest on true
      left join lateral (
        select j.state, j.started_on, j.completed_on, j.output from ${schema}.job j
        where j.name = q.name and j.state in ('completed', 'failed') and j.started_on is not null
        order by j.completed_on desc limit 1) done on true
      where q.name not like '\\_\\_pgboss\\_\\_%'
      order by q.name`),
  );
  const asDate = (value: Date | string | null) => (value === null ? null : new Date(value));
  return rows.map((row) => ({
    name: row.name,
    cron: row.cron,
    state: row.state,
    lastStartedAt: asDate(row.lastStartedAt),
    lastFinishedAt: asDate(row.lastFinishedAt),
    lastDurationMs: row.lastDurationMs,
    retryCount: row.retryCount,
    retryLimit: row.retryLimit,
    lastError:
      row.lastState === "failed" || row.lastState === "retry"
        ? (row.lastOutput?.message ?? "failed")
        : null,
    nextRunAt: row.cron ? nextOccurrence(row.cron, row.timezone ?? "UTC") : null,
  }));
}
