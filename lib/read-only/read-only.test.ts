import { execFileSync } from "node:child_process";
import { eq, sql } from "drizzle-orm";
import postgres from "postgres";
import { afterEach, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { rowsOf } from "@/db/rows";
import {
  auditLog,
  cards,
  cloudMigration,
  cloudMigrationEvent,
  cloudMigrationPart,
  cloudMigrationUpload,
  collections,
  loginHistory,
  settings,
  users,
  viewLog,
} from "@/db/schema";
import { pgErrorCode } from "@/lib/errors";
import { instanceId } from "@/lib/settings";
import { settingsWrittenWhileFrozen } from "@/lib/settings/instance-only";
import { describeEachEngine } from "@/lib/testing/engines";
import { insertUser } from "@/lib/testing/fixtures";
import {
  disableReadOnly,
  enableReadOnly,
  READ_ONLY_MESSAGE,
  readOnlyGuardPlan,
  readOnlyRefusal,
  readOnlyStatus,
} from ".";

const refused = async (run: () => Promise<unknown>) => {
  const error = await run().then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, "expected the write to be refused").not.toBeNull();
  expect(pgErrorCode(error)).toBe("25006");
  // The database says it in the same words as the proxy, the actions and the banner.
  const messages: unknown[] = [];
  for (let e: unknown = error; e && typeof e === "object"; e = (e as { cause?: unknown }).cause) {
    messages.push((e as { message?: unknown }).message);
  }
  expect(messages).toContain(READ_ONLY_MESSAGE);
};

/** A valid write for each fully exempt table, so the test proves it passes. */
const exemptWrites: Record<string, (db: Database, userId: number) => Promise<unknown>> = {
  login_history: (db, userId) =>
    db.insert(loginHistory).values({ userId, email: "x@example.test", success: true }),
  audit_log: (db, userId) => db.insert(auditLog).values({ actorId: userId, action: "test.write" }),
  view_log: (db, userId) => db.insert(viewLog).values({ userId, model: "card", modelId: 1 }),
  cloud_migration: async (db) => {
    await db.update(cloudMigration).set({ state: "cancelled" });
    await db.insert(cloudMigration).values({ state: "init" });
    await db.update(cloudMigration).set({ state: "cancelled" });
  },
  cloud_migration_upload: async (db) => {
    const [m] = await db.insert(cloudMigration).values({ state: "cancelled" }).returning();
    await db.insert(cloudMigrationUpload).values({
      migrationId: m!.id,
      uploadId: "u",
      archiveSha256: "0".repeat(64),
      archiveSize: 1,
      partSize: 5 << 20,
      partCount: 1,
    });
  },
  cloud_migration_event: async (db) => {
    const [m] = await db.insert(cloudMigration).values({ state: "cancelled" }).returning();
    await db.insert(cloudMigrationEvent).values({ migrationId: m!.id, version: 1, view: {} });
  },
  cloud_migration_part: async (db) => {
    const [m] = await db.insert(cloudMigration).values({ state: "cancelled" }).returning();
    await db
      .insert(cloudMigrationPart)
      .values({ migrationId: m!.id, partNumber: 1, etag: '"e"', size: 1 });
  },
};

async function firstColumn(db: Database, table: string): Promise<string> {
  const rows = rowsOf<{ column_name: string }>(
    await db.execute(sql`select column_name from information_schema.columns
      where table_schema = 'public' and table_name = ${table} and is_identity = 'NO'
      order by ordinal_position limit 1`),
  );
  const column = rows[0]?.column_name;
  if (!column) throw new Error(`no columns on ${table}`);
  return column;
}

describeEachEngine("read-only mode", (database, engine) => {
  afterEach(async () => {
    await disableReadOnly(database());
  });

  it("guards or exempts every table in the public schema, and none is missing from the plan", async () => {
    const inDatabase = rowsOf<{ tablename: string }>(
      await database().db.execute(
        sql`select tablename from pg_tables where schemaname = 'public' order by tablename`,
      ),
    ).map((r) => r.tablename);
    const planned = readOnlyGuardPlan().map((p) => p.table);
    expect(planned).toEqual(inDatabase);
    const exemptTables = readOnlyGuardPlan()
      .filter((p) => p.exemption?.kind === "table")
      .map((p) => p.table);
    expect(exemptTables.sort()).toEqual(Object.keys(exemptWrites).sort());
  });

  it("refuses insert, update and delete on every guarded table, and allows them once off", async () => {
    const { db } = database();
    const guarded = readOnlyGuardPlan().filter((p) => p.exemption === null);
    expect(guarded.length).toBeGreaterThan(4);
    const statements = async (table: string) => {
      const column = await firstColumn(db, table);
      return [
        `insert into "${table}" overriding system value select * from "${table}" where false`,
        `update "${table}" set "${column}" = "${column}" where false`,
        `delete from "${table}" where false`,
      ];
    };
    await enableReadOnly(database(), { reason: "test", source: "test" });
    for (const { table } of guarded) {
      for (const statement of await statements(table)) {
        await refused(() => db.execute(sql.raw(statement)));
      }
    }
    await disableReadOnly(database());
    for (const { table } of guarded) {
      for (const statement of await statements(table)) await db.execute(sql.raw(statement));
    }
  });

  it("lets the exempt tables and the exempt card and user columns through", async () => {
    const { db } = database();
    const user = await insertUser(db);
    const [card] = await db
      .insert(cards)
      .values({ name: "before", query: {}, creatorId: user.id })
      .returning({ id: cards.id });
    await enableReadOnly(database(), { reason: "test", source: "test" });
    for (const write of Object.values(exemptWrites)) await write(db, user.id);
    await db.update(cards).set({ lastUsedAt: new Date() }).where(eq(cards.id, card!.id));
    await db.update(users).set({ lastLoginAt: new Date() }).where(eq(users.id, user.id));
    await refused(() => db.update(cards).set({ name: "after" }).where(eq(cards.id, card!.id)));
    await refused(() => db.update(users).set({ name: "renamed" }).where(eq(users.id, user.id)));
    await refused(() => db.insert(collections).values({ name: "new" }));
    await refused(() => db.delete(cards).where(eq(cards.id, card!.id)));
    expect((await readOnlyStatus(db)).enabled).toBe(true);
  });

  it("lets only the settings the instance writes itself through; an admin's edit is refused", async () => {
    const { db } = database();
    await db.insert(settings).values({ key: "ui.theme", value: "light" });
    await enableReadOnly(database(), { reason: "test", source: "test" });
    // What the instance must write while frozen (lib/settings/instance-only.ts).
    // Twice: the first writes insert, the second update.
    for (const key of [...settingsWrittenWhileFrozen, ...settingsWrittenWhileFrozen]) {
      await db
        .insert(settings)
        .values({ key, value: "made while frozen", secret: true })
        .onConflictDoUpdate({ target: settings.key, set: { value: "again" } });
    }
    expect(await instanceId(db)).toBe("again");
    await db.delete(settings).where(eq(settings.key, settingsWrittenWhileFrozen[0]!));
    // Everything else, as for any guarded table.
    await refused(() =>
      db.update(settings).set({ value: "dark" }).where(eq(settings.key, "ui.theme")),
    );
    await refused(() => db.insert(settings).values({ key: "ui.new", value: "x" }));
    await refused(() => db.delete(settings).where(eq(settings.key, "ui.theme")));
    await refused(() =>
      db.update(settings).set({ key: "instance.id" }).where(eq(settings.key, "ui.theme")),
    );
    await refused(() =>
      db.update(settings).set({ key: "ui.renamed" }).where(eq(settings.key, "instance.id")),
    );
    await refused(() => db.execute(sql`truncate settings`));
    await disableReadOnly(database());
    await db.update(settings).set({ value: "dark" }).where(eq(settings.key, "ui.theme"));
  });

  if (engine !== "postgres") return;

  it("refuses a REPEATABLE READ writer whose snapshot predates enable", async () => {
    const writer = postgres(database().url!, { max: 1, onnotice: () => {} });
    try {
      const reserved = await writer.reserve();
      await reserved`begin isolation level repeatable read`;
      await reserved`select count(*) from collections`; // the snapshot is taken here
      await enableReadOnly(database(), { reason: "test", source: "test" });
      const error = await reserved`insert into collections (name) values ('late')`.catch(
        (e: unknown) => e,
      );
      expect(pgErrorCode(error)).toBe("25006");
      await reserved`rollback`;
      reserved.release();
    } finally {
      await writer.end();
    }
  });

  it("waits for a write already under way, which then commits and is visible", async () => {
    const writer = postgres(database().url!, { max: 1, onnotice: () => {} });
    try {
      const reserved = await writer.reserve();
      await reserved`begin`;
      await reserved`insert into collections (name) values ('in flight')`;
      let enabled = false;
      const enabling = enableReadOnly(database(), { reason: "test", source: "test" }).then(() => {
        enabled = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(enabled).toBe(false);
      await reserved`commit`;
      reserved.release();
      await enabling;
      const rows = await database()
        .db.select()
        .from(collections)
        .where(eq(collections.name, "in flight"));
      expect(rows).toHaveLength(1);
    } finally {
      await writer.end();
    }
  });

  it("gives up after the drain timeout, stays writable, and loses nothing", async () => {
    const writer = postgres(database().url!, { max: 1, onnotice: () => {} });
    try {
      const reserved = await writer.reserve();
      await reserved`begin`;
      await reserved`insert into collections (name) values ('slow writer')`;
      await expect(
        enableReadOnly(database(), { reason: "test", source: "test", drainTimeoutMs: 200 }),
      ).rejects.toThrow(/writes still under way/);
      await reserved`commit`;
      reserved.release();
      expect((await readOnlyStatus(database().db)).enabled).toBe(false);
      await database().db.insert(collections).values({ name: "after timeout" });
    } finally {
      await writer.end();
    }
  });

  it("blocks a psql session too, and another node can switch it off", async () => {
    await enableReadOnly(database(), { reason: "test", source: "test" });
    const psql = (statement: string) =>
      execFileSync("psql", [database().url!, "-v", "ON_ERROR_STOP=1", "-c", statement], {
        stdio: "pipe",
        encoding: "utf8",
      });
    expect(() => psql("insert into collections (name) values ('from psql')")).toThrow(
      READ_ONLY_MESSAGE,
    );
    expect(readOnlyRefusal().message).toBe(READ_ONLY_MESSAGE);
    // Another node: its own pool, not the process that holds the lock.
    const other = postgres(database().url!, { max: 2, onnotice: () => {} });
    try {
      await other`update liftoff_cluster.read_only_state set enabled = false`;
      // The flag alone is not enough while the lock is held…
      expect(() => psql("insert into collections (name) values ('still blocked')")).toThrow(
        /read-only mode/,
      );
    } finally {
      await other.end();
    }
    await disableReadOnly(database());
    psql("insert into collections (name) values ('from psql')");
  });
});
