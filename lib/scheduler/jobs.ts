import { sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { rowsOf } from "@/db/rows";
import { reportSnapshots } from "@/db/schema";
import { deleteStaleThrottleRows } from "@/lib/auth/throttle";

export interface JobContext {
  db: Database;
  signal: AbortSignal;
}

/** A recurring job: a pg-boss queue of its own, fed by a cron schedule. */
export interface JobDefinition {
  /** The queue's name (letters, digits, `-`, `_`, `.`). */
  name: string;
  /** Five-field cron expression, UTC; pg-boss forwards each occurrence once, cluster-wide. */
  cron: string;
  /** Retries after a failure, with exponential backoff (default 2). */
  retryLimit?: number;
  /** A run still active after this long is taken back and retried (default 15 min). */
  expireInSeconds?: number;
  run(context: JobContext): Promise<void>;
}

/** Sign-in records older than this are deleted. */
export const loginHistoryRetentionDays = 90;

const loginHistoryCleanup: JobDefinition = {
  name: "login-history-cleanup",
  cron: "7 * * * *",
  async run({ db }) {
    await db.execute(sql`delete from login_history
      where created_at < now() - make_interval(days => ${loginHistoryRetentionDays})`);
    await deleteStaleThrottleRows(db);
    // Heartbeat rows of nodes gone for a day are history, not a cluster.
    await db.execute(
      sql`delete from liftoff_cluster.nodes where last_seen_at < now() - interval '1 day'`,
    );
  },
};

/** Views per dashboard per UTC day over the last week, recomputed whole. */
const dashboardUsageRollup: JobDefinition = {
  name: "dashboard-usage-rollup",
  cron: "*/10 * * * *",
  async run({ db }) {
    await db.execute(sql`
      insert into dashboard_usage (dashboard_id, day, views, viewers)
      select v.model_id, (v.viewed_at at time zone 'UTC')::date, count(*), count(distinct v.user_id)
      from view_log v join dashboards d on d.id = v.model_id
      where v.model = 'dashboard' and v.viewed_at >= now() - interval '7 days'
      group by 1, 2
      on conflict (dashboard_id, day) do update
        set views = excluded.views, viewers = excluded.viewers`);
  },
};

/** The scheduled report: a plain-text summary of the most viewed dashboards. */
const dashboardSummaryReport: JobDefinition = {
  name: "dashboard-summary-report",
  cron: "0 6 * * *",
  expireInSeconds: 5 * 60,
  async run({ db }) {
    const rows = rowsOf<{ name: string; views: number; cards: number }>(
      await db.execute(sql`
        select d.name, coalesce(sum(u.views), 0)::int as views,
               (select count(*)::int from dashboard_cards dc where dc.dashboard_id = d.id) as cards
        from dashboards d
        left join dashboard_usage u on u.dashboard_id = d.id and u.day >= current_date - 7
        where not d.archived
        group by d.id, d.name
        order by views desc, d.name
        limit 10`),
    );
    const lines = rows.map((r, i) => `${i + 1}. ${r.name} — ${r.views} views, ${r.cards} cards`);
    const body = [
      `Dashboard summary, week to ${new Date().toISOString().slice(0, 10)}`,
      "",
      ...(lines.length ? lines : ["No dashboards yet."]),
    ].join("\n");
    await db.insert(reportSnapshots).values({ kind: "dashboard-summary", body });
  },
};

export const builtInJobs: JobDefinition[] = [
  loginHistoryCleanup,
  dashboardUsageRollup,
  dashboardSummaryReport,
];
