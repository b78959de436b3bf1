import { compare } from "bcryptjs";
import { sql } from "drizzle-orm";
import { beforeAll, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { decryptSecret, deriveSecretKey, type SecretKey } from "@/lib/secrets";
import { describeEachEngine, resetDatabase, rowsOf } from "@/lib/testing/engines";
import { planSeed, seedTables } from "./plan";
import { seedDatabase, seedPassword, type SeedCounts } from "./seed";
import { measureTables } from "./table-sizes";

const key = deriveSecretKey("seed test key, long enough");

async function rowCounts(db: Database): Promise<Record<string, number>> {
  return Object.fromEntries((await measureTables(db)).map(({ table, rows }) => [table, rows]));
}

async function query<T>(db: Database, text: string): Promise<T[]> {
  return rowsOf<T>(await db.execute(sql.raw(text)));
}

/**
 * Everything a seed decides, with secrets decrypted (their ciphertext uses
 * a random IV) and without what it does not decide: ids and the bcrypt salt.
 */
async function projection(db: Database, secretKey: SecretKey): Promise<unknown[]> {
  const all: unknown[] = [];
  for (const table of seedTables) {
    const order =
      table === "settings" ? "key" : table === "dashboard_usage" ? "dashboard_id, day" : "id";
    const rows = await query<{ row: Record<string, unknown> }>(
      db,
      `select to_jsonb(t) - 'id' - 'password_hash' as row from ${table} t order by ${order}`,
    );
    for (const { row } of rows) {
      const details = row.details as { password?: string | null } | undefined;
      if (table === "data_sources" && details?.password) {
        details.password = decryptSecret(details.password, secretKey);
      }
      if (table === "settings" && row.secret) {
        row.value = decryptSecret(row.value as string, secretKey);
      }
      all.push({ table, ...row });
    }
  }
  return all;
}

function depthOf(value: unknown): number {
  if (value === null || typeof value !== "object") return 0;
  return 1 + Math.max(0, ...Object.values(value).map(depthOf));
}

describeEachEngine("seed", (database) => {
  const plan = planSeed(0.05);
  let firstRun: SeedCounts;

  beforeAll(async () => {
    await resetDatabase(database());
    firstRun = await seedDatabase(database().db, { scale: 0.05, seed: 1, secretKey: key });
  });

  it("fills every table but cloud_migration with the planned rows", async () => {
    expect(plan).toEqual({
      users: 6,
      login_history: 35,
      data_sources: 2,
      collections: 5,
      cards: 8,
      dashboards: 2,
      dashboard_cards: 6,
      audit_log: 30,
      view_log: 135,
      report_snapshots: 1,
    });
    expect(firstRun.dashboard_usage).toBeGreaterThan(0);
    expect(await rowCounts(database().db)).toEqual({
      ...plan,
      settings: 12,
      dashboard_usage: firstRun.dashboard_usage,
      cloud_migration: 0,
      cloud_migration_upload: 0,
      cloud_migration_part: 0,
      cloud_migration_event: 0,
    });
  });

  it("nests collections several levels deep", async () => {
    const [tree] = await query<{ depth: number; reached: number }>(
      database().db,
      `with recursive tree as (
         select id, 1 as depth from collections where parent_id is null
         union all
         select c.id, tree.depth + 1 from collections c join tree on c.parent_id = tree.id)
       select max(depth) as depth, count(*)::int as reached from tree`,
    );
    expect(tree?.depth).toBeGreaterThanOrEqual(4);
    expect(tree?.reached).toBe(plan.collections);
  });

  it("points logs at rows that exist, where no foreign key checks it", async () => {
    const dangling = await query<{ model: string }>(
      database().db,
      `select v.model from view_log v
        where not exists (select 1 from cards c where v.model = 'card' and c.id = v.model_id)
          and not exists (select 1 from dashboards d where v.model = 'dashboard' and d.id = v.model_id)
          and not exists (select 1 from collections c where v.model = 'collection' and c.id = v.model_id)`,
    );
    expect(dangling).toEqual([]);
    const mismatched = await query<{ id: number }>(
      database().db,
      `select id from cards
        where (query->>'database')::int is distinct from data_source_id`,
    );
    expect(mismatched).toEqual([]);
  });

  it("varies content: scripts, escapes, long texts, nulls, archived rows, years", async () => {
    const { db } = database();
    const texts = await query<{ name: string; description: string | null }>(
      db,
      `select name, description from cards union all select name, description from dashboards
       union all select name, description from collections union all select name, null from users`,
    );
    const text = texts.map((row) => `${row.name} ${row.description ?? ""}`).join(" ");
    const kinds = {
      emoji: /\p{Extended_Pictographic}/u,
      cjk: /\p{Script=Han}/u,
      rtl: /\p{Script=Arabic}|\p{Script=Hebrew}/u,
      combining: /\p{Mn}/u,
      outsideBmp: /[\u{10000}-\u{10FFFF}]/u,
      tab: /\t/,
      newline: /\n/,
      backslash: /\\N/,
    };
    const found = Object.fromEntries(Object.entries(kinds).map(([k, re]) => [k, re.test(text)]));
    expect(found).toEqual(Object.fromEntries(Object.keys(kinds).map((k) => [k, true])));

    const [stats] = await query<Record<string, number>>(
      db,
      `select
         (select max(octet_length(description)) from cards) as card_description_bytes,
         (select count(*) filter (where last_used_at is null) from cards)::int as never_used,
         (select count(*) filter (where last_used_at is not null) from cards)::int as used,
         (select count(*) filter (where description is null) from cards)::int as undescribed,
         (select count(*) filter (where archived) from cards)::int as archived_cards,
         (select count(*) filter (where archived) from collections)::int as archived_collections,
         (select count(*) filter (where archived) from dashboards)::int as archived_dashboards,
         (select count(*) filter (where not archived) from cards)::int as live_cards,
         (select count(*) filter (where user_id is null) from login_history)::int as unknown_logins,
         (select count(*) filter (where duration_ms is null) from view_log)::int as untimed_views,
         (select count(*) filter (where duration_ms <> trunc(duration_ms)) from view_log)::int
           as fractional_durations,
         (select count(*) filter (where role = 'admin') from users)::int as admins,
         (select count(*) filter (where role = 'user') from users)::int as members,
         (select count(*) filter (where not active) from users)::int as inactive,
         (select extract(epoch from max(created_at) - min(created_at)) / 86400 / 365
            from audit_log)::float as audit_years`,
    );
    if (!stats) throw new Error("no statistics returned");
    for (const [name, value] of Object.entries(stats)) expect(value, name).toBeGreaterThan(0);
    expect(stats.card_description_bytes).toBeGreaterThan(2_000);
    expect(stats.audit_years).toBeGreaterThan(5);

    const queries = await query<{ query: unknown }>(db, `select query from cards`);
    expect(Math.max(...queries.map((row) => depthOf(row.query)))).toBeGreaterThanOrEqual(5);
  });

  it("seals secrets with the given key and gives users the documented password", async () => {
    const { db } = database();
    const secrets = await query<{ value: string }>(
      db,
      `select value from settings where secret
       union all select details->>'password' from data_sources where details->>'password' is not null`,
    );
    expect(secrets.length).toBeGreaterThanOrEqual(5);
    for (const { value } of secrets) {
      expect(value.startsWith("enc:v2:")).toBe(true);
      expect(decryptSecret(value, key).length).toBeGreaterThan(0);
    }
    const plain = await query<{ value: string }>(db, `select value from settings where not secret`);
    expect(plain.some(({ value }) => value.startsWith("enc:"))).toBe(false);
    const hashes = await query<{ password_hash: string }>(
      db,
      `select distinct password_hash from users`,
    );
    expect(hashes).toHaveLength(1);
    expect(await compare(seedPassword, hashes[0]?.password_hash ?? "")).toBe(true);
  });

  it("seeds again on top of what is there, keeping settings", async () => {
    const { db } = database();
    const before = await rowCounts(db);
    const counts = await seedDatabase(db, { scale: 0.05, seed: 1, secretKey: key });
    expect(counts).toEqual({ ...plan, settings: 0, dashboard_usage: firstRun.dashboard_usage });
    const after = await rowCounts(db);
    for (const table of [...Object.keys(plan), "dashboard_usage"]) {
      expect(after[table], table).toBe((before[table] ?? 0) * 2);
    }
    expect(after.settings).toBe(12);
  });

  it("gives the same content for the same seed, and other content for another", async () => {
    const { db } = database();
    const run = async (seed: number) => {
      await resetDatabase(database());
      await seedDatabase(db, { scale: 0.02, seed, secretKey: key });
      return projection(db, key);
    };
    const first = await run(7);
    expect(first.length).toBeGreaterThan(100);
    expect(await run(7)).toEqual(first);
    expect(await run(8)).not.toEqual(first);
  });
});
