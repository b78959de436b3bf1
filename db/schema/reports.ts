import { bigint, date, index, integer, pgTable, primaryKey, text } from "drizzle-orm/pg-core";
import { createdAt } from "./columns";
import { dashboards } from "./content";

/** Views per dashboard per day, rolled up from view_log by a background job. */
export const dashboardUsage = pgTable(
  "dashboard_usage",
  {
    dashboardId: integer("dashboard_id")
      .notNull()
      .references(() => dashboards.id, { onDelete: "cascade" }),
    day: date("day", { mode: "string" }).notNull(),
    views: integer("views").notNull(),
    viewers: integer("viewers").notNull(),
  },
  (t) => [primaryKey({ columns: [t.dashboardId, t.day] })],
);

/** A rendered report (the scheduled "dashboard summary"). */
export const reportSnapshots = pgTable(
  "report_snapshots",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    kind: text("kind").notNull(),
    body: text("body").notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("report_snapshots_created_at_idx").on(t.createdAt)],
);
