import { sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { describeEachEngine, rowsOf } from "@/lib/testing/engines";
import { cloudMigration } from "./schema";

describeEachEngine("schema", (database) => {
  it("creates every table of the content model", async () => {
    const rows = rowsOf<{ tablename: string }>(
      await database().db.execute(
        sql`select tablename from pg_tables where schemaname = 'public' order by tablename`,
      ),
    );
    expect(rows.map((r) => r.tablename)).toEqual([
      "audit_log",
      "cards",
      "cloud_migration",
      "cloud_migration_event",
      "cloud_migration_part",
      "cloud_migration_upload",
      "collections",
      "dashboard_cards",
      "dashboard_usage",
      "dashboards",
      "data_sources",
      "login_history",
      "report_snapshots",
      "settings",
      "users",
      "view_log",
    ]);
  });

  it("keeps the store's tables in a schema of their own, out of public", async () => {
    const rows = rowsOf<{ schemaname: string; tablename: string }>(
      await database().db.execute(
        sql`select schemaname, tablename from pg_tables where schemaname = 'store' order by tablename`,
      ),
    );
    expect(rows).toEqual([
      { schemaname: "store", tablename: "migration_keys" },
      { schemaname: "store", tablename: "migrations" },
    ]);
  });

  it("uses timestamptz for every timestamp", async () => {
    const rows = rowsOf<{ table_name: string; column_name: string }>(
      await database().db.execute(sql`
        select table_name, column_name from information_schema.columns
        where table_schema in ('public', 'store') and data_type = 'timestamp without time zone'`),
    );
    expect(rows).toEqual([]);
  });

  it("allows at most one unfinished cloud migration", async () => {
    const { db } = database();
    await db.insert(cloudMigration).values({ state: "dump" });
    await expect(db.insert(cloudMigration).values({ state: "init" })).rejects.toThrow();
    await db.update(cloudMigration).set({ state: "cancelled" });
    await db.insert(cloudMigration).values({ state: "init" });
    const rows = await db.select().from(cloudMigration);
    expect(rows.map((r) => r.state).sort()).toEqual(["cancelled", "init"]);
  });
});
