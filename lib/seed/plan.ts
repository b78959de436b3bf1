/** The tables a seed run fills: every table of the schema but `cloud_migration`. */
export const seedTables = [
  "users",
  "login_history",
  "data_sources",
  "collections",
  "cards",
  "dashboards",
  "dashboard_cards",
  "settings",
  "audit_log",
  "view_log",
  "report_snapshots",
  // Derived from the seeded views, as the usage roll-up job would.
  "dashboard_usage",
] as const;
export type SeedTable = (typeof seedTables)[number];

/** Rows one run inserts per table; settings are a fixed set of keys instead. */
export type SeedPlan = Record<Exclude<SeedTable, "settings" | "dashboard_usage">, number>;

export const minScale = 0.01;

/**
 * Scale 1 is a small team's instance, about 1 MB of table data; content and
 * logs grow linearly with the scale. People and connections grow with its
 * square root: an instance a thousand times bigger does not have a thousand
 * times the staff.
 */
export function planSeed(scale: number): SeedPlan {
  if (!Number.isFinite(scale) || scale < minScale) {
    throw new RangeError(`The scale must be a number of at least ${minScale}.`);
  }
  const linear = (perScale: number, min: number) => Math.max(min, Math.round(perScale * scale));
  const slow = (perScale: number, min: number) =>
    Math.max(min, Math.round(perScale * Math.sqrt(scale)));
  return {
    users: slow(25, 3),
    login_history: linear(700, 10),
    data_sources: slow(4, 2),
    collections: linear(30, 5),
    cards: linear(150, 8),
    dashboards: linear(20, 2),
    dashboard_cards: linear(120, 6),
    audit_log: linear(600, 10),
    view_log: linear(2700, 20),
    report_snapshots: linear(4, 1),
  };
}
