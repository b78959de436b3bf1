import { hash } from "bcryptjs";
import { max, sql } from "drizzle-orm";
import { rowsOf } from "@/db/rows";
import type { Database } from "@/db/client";
import {
  auditLog,
  cards,
  collections,
  dashboardCards,
  dashboards,
  dataSources,
  loginHistory,
  reportSnapshots,
  settings,
  users,
  viewLog,
} from "@/db/schema";
import type { SecretKey } from "@/lib/secrets/cipher";
import { auditRows, reportRows, settingRows, viewRows } from "./activity";
import { cardRows, collectionLevels, collectionRows, dashboardRows } from "./content";
import { dashboardCardRows } from "./dashboard-layout";
import { dataSourceRows } from "./data-sources";
import { IdPool } from "./id-pool";
import { loginRows, userRows, type SeededUser } from "./people";
import { planSeed, seedTables, type SeedTable } from "./plan";
import { Random } from "./random";

/** Every seeded user signs in with this password. */
export const seedPassword = "liftoff-seed-password";

export interface SeedOptions {
  scale: number;
  /** Same seed, same content. */
  seed?: number;
  /** Seals data-source passwords and secret settings; null keeps them plaintext. */
  secretKey: SecretKey | null;
  batchSize?: number;
  onProgress?: (progress: { table: SeedTable; inserted: number; total: number }) => void;
}

export type SeedCounts = Record<SeedTable, number>;

/**
 * Adds seeded content to the database in one transaction: a run that fails
 * halfway leaves nothing behind. Rows are generated a batch at a time, so
 * memory does not grow with the scale.
 */
export async function seedDatabase(db: Database, options: SeedOptions): Promise<SeedCounts> {
  const plan = planSeed(options.scale);
  const seed = options.seed ?? 1;
  const batchSize = options.batchSize ?? 500;
  const rng = (purpose: string) => Random.derive(seed, purpose);
  // One hash for every user: bcrypt is slow by design, and thousands of
  // hashes would dominate the run.
  const passwordHash = await hash(seedPassword, 10);
  const counts = Object.fromEntries(seedTables.map((table) => [table, 0])) as SeedCounts;

  async function insert<Row, Returned>(
    table: SeedTable,
    total: number,
    rows: Iterable<Row>,
    write: (batch: Row[]) => Promise<Returned[]>,
    keep: (returned: Returned[]) => void = () => {},
  ): Promise<void> {
    let batch: Row[] = [];
    const flush = async () => {
      const returned = await write(batch);
      keep(returned);
      counts[table] += returned.length;
      options.onProgress?.({ table, inserted: counts[table], total });
      batch = [];
    };
    for (const row of rows) {
      batch.push(row);
      if (batch.length >= batchSize) await flush();
    }
    if (batch.length > 0) await flush();
  }

  const collect = (pool: IdPool) => (returned: { id: number }[]) =>
    pool.add(returned.map((r) => r.id));

  await db.transaction(async (tx) => {
    const [userMax] = await tx.select({ id: max(users.id) }).from(users);
    const [sourceMax] = await tx.select({ id: max(dataSources.id) }).from(dataSources);
    const [viewMax] = await tx.select({ id: max(viewLog.id) }).from(viewLog);

    // Users and data sources grow with the square root of the scale, so
    // keeping them in memory stays small.
    const people: SeededUser[] = [];
    await insert(
      "users",
      plan.users,
      userRows(rng("users"), plan.users, (userMax?.id ?? 0) + 1, passwordHash),
      (batch) =>
        tx
          .insert(users)
          .values(batch)
          .returning({ id: users.id, email: users.email, role: users.role }),
      (returned) => people.push(...returned),
    );
    await insert(
      "login_history",
      plan.login_history,
      loginRows(rng("login_history"), plan.login_history, people),
      (batch) => tx.insert(loginHistory).values(batch).returning({ id: loginHistory.id }),
    );

    const sources = new IdPool();
    await insert(
      "data_sources",
      plan.data_sources,
      dataSourceRows(
        rng("data_sources"),
        plan.data_sources,
        (sourceMax?.id ?? 0) + 1,
        people,
        options.secretKey,
      ),
      (batch) => tx.insert(dataSources).values(batch).returning({ id: dataSources.id }),
      collect(sources),
    );

    const allCollections = new IdPool();
    let parents: IdPool | null = null;
    const collectionRng = rng("collections");
    for (const [depth, count] of collectionLevels(plan.collections).entries()) {
      const level = new IdPool();
      await insert(
        "collections",
        plan.collections,
        collectionRows(collectionRng, count, depth, parents),
        (batch) => tx.insert(collections).values(batch).returning({ id: collections.id }),
        (returned) => {
          collect(level)(returned);
          collect(allCollections)(returned);
        },
      );
      if (level.size > 0) parents = level;
    }

    const seededCards = new IdPool();
    await insert(
      "cards",
      plan.cards,
      cardRows(rng("cards"), plan.cards, {
        collections: allCollections,
        dataSources: sources,
        people,
      }),
      (batch) => tx.insert(cards).values(batch).returning({ id: cards.id }),
      collect(seededCards),
    );

    const seededDashboards = new IdPool();
    await insert(
      "dashboards",
      plan.dashboards,
      dashboardRows(rng("dashboards"), plan.dashboards, { collections: allCollections, people }),
      (batch) => tx.insert(dashboards).values(batch).returning({ id: dashboards.id }),
      collect(seededDashboards),
    );
    await insert(
      "dashboard_cards",
      plan.dashboard_cards,
      dashboardCardRows(rng("dashboard_cards"), plan.dashboard_cards, {
        dashboards: seededDashboards,
        cards: seededCards,
      }),
      (batch) => tx.insert(dashboardCards).values(batch).returning({ id: dashboardCards.id }),
    );

    // Settings are keyed by name: a second run keeps the values already there.
    const newSettings = settingRows(rng("settings"), options.secretKey);
    const keptSettings = await tx
      .insert(settings)
      .values(newSettings)
      .onConflictDoNothing()
      .returning({ key: settings.key });
    counts.settings = keptSettings.length;
    options.onProgress?.({
      table: "settings",
      inserted: counts.settings,
      total: newSettings.length,
    });

    const refs = {
      people,
      dataSources: sources,
      collections: allCollections,
      cards: seededCards,
      dashboards: seededDashboards,
    };
    await insert(
      "audit_log",
      plan.audit_log,
      auditRows(rng("audit_log"), plan.audit_log, refs),
      (batch) => tx.insert(auditLog).values(batch).returning({ id: auditLog.id }),
    );
    await insert(
      "view_log",
      plan.view_log,
      viewRows(rng("view_log"), plan.view_log, refs),
      (batch) => tx.insert(viewLog).values(batch).returning({ id: viewLog.id }),
    );
    await insert(
      "report_snapshots",
      plan.report_snapshots,
      reportRows(rng("report_snapshots"), plan.report_snapshots, refs),
      (batch) => tx.insert(reportSnapshots).values(batch).returning({ id: reportSnapshots.id }),
    );
    // The daily usage of this run's dashboards, rolled up from this run's views.
    const usage = await tx.execute(sql`
      with added as (
        insert into dashboard_usage (dashboard_id, day, views, viewers)
        select v.model_id, (v.viewed_at at time zone 'UTC')::date, count(*), count(distinct v.user_id)
        from view_log v
        where v.model = 'dashboard' and v.id > ${viewMax?.id ?? 0}
        group by 1, 2
        returning 1)
      select count(*)::int as n from added`);
    counts.dashboard_usage = rowsOf<{ n: number }>(usage)[0]?.n ?? 0;
  });
  return counts;
}
