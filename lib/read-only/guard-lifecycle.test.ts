import { eq } from "drizzle-orm";
import postgres from "postgres";
import { afterEach, expect, it } from "vitest";
import { collections, readOnlyState } from "@/db/schema";
import { startNodeServices } from "@/lib/cluster";
import { AppError, pgErrorCode } from "@/lib/errors";
import { prepareDatabase } from "@/lib/runtime/database";
import { createTestDatabase, describeEachEngine } from "@/lib/testing/engines";
import { insertUser } from "@/lib/testing/fixtures";
import { tableGuards } from "./guard";
import {
  disableReadOnly,
  enableReadOnly,
  readOnlyGuardTriggers,
  readOnlyStatus,
  releaseLocalLease,
  removeReadOnlyGuard,
} from ".";

/** Every trigger the guard puts on while read-only is on, as `table.name`. */
const wanted = () =>
  tableGuards()
    .flatMap(({ table, triggers }) => [...triggers.keys()].map((name) => `${table}.${name}`))
    .sort();

describeEachEngine("read-only guard lifecycle", (database, engine) => {
  const triggers = async () =>
    (await readOnlyGuardTriggers(database().db)).map((t) => `${t.table}.${t.name}`).sort();
  const enabledTriggers = async () =>
    (await readOnlyGuardTriggers(database().db))
      .filter((t) => t.enabled)
      .map((t) => `${t.table}.${t.name}`)
      .sort();

  afterEach(async () => {
    await disableReadOnly(database());
    await removeReadOnlyGuard(database().db);
  });

  it("has no guard trigger while off, every one while on, none again once off", async () => {
    expect(wanted().length).toBeGreaterThan(8);
    expect(await triggers()).toEqual([]);
    await enableReadOnly(database(), { reason: "test", source: "test" });
    expect(await enabledTriggers()).toEqual(wanted());
    await disableReadOnly(database());
    expect(await triggers()).toEqual([]);
    await database().db.insert(collections).values({ name: "after" });
  });

  it("never takes the guard off while read-only is on", async () => {
    await enableReadOnly(database(), { reason: "test", source: "test" });
    expect((await removeReadOnlyGuard(database().db)).stopped).toBe("read-only on");
    expect(await enabledTriggers()).toEqual(wanted());
  });

  it("start-up puts the guard back when the flag is on (a crash took it off)", async () => {
    const { db } = database();
    await db.update(readOnlyState).set({ enabled: true, source: "test" });
    expect(await triggers()).toEqual([]);
    await prepareDatabase(database());
    expect(await enabledTriggers()).toEqual(wanted());
    const error = await db
      .insert(collections)
      .values({ name: "refused" })
      .catch((e: unknown) => e);
    expect(pgErrorCode(error)).toBe("25006");
  });

  it("start-up takes the guard off when the flag is off (a crash left it on)", async () => {
    await enableReadOnly(database(), { reason: "test", source: "test" });
    // A disable that died after the flag: lock gone, triggers still there.
    await database().db.update(readOnlyState).set({ enabled: false });
    await releaseLocalLease(database());
    expect(await enabledTriggers()).toEqual(wanted());
    await prepareDatabase(database());
    expect(await triggers()).toEqual([]);
  });

  if (engine !== "postgres") return;

  const connect = () => postgres(database().url!, { max: 1, onnotice: () => {} });

  it("waits for a writer that is under way and writes another table meanwhile; both rows land", async () => {
    const user = await insertUser(database().db);
    const writer = connect();
    try {
      const reserved = await writer.reserve();
      await reserved`begin`;
      await reserved`insert into collections (name) values ('in flight 1')`;
      let enabled = false;
      const enabling = enableReadOnly(database(), {
        reason: "test",
        source: "test",
        drainTimeoutMs: 10_000,
      }).then(() => (enabled = true));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(enabled).toBe(false);
      // `cards` is guarded before `collections`: a one-transaction install
      // would hold its lock while waiting for ours, a deadlock.
      await reserved`insert into cards (name, query, creator_id) values ('in flight 2', '{}', ${user.id})`;
      await reserved`commit`;
      reserved.release();
      await enabling;
      const rows = await database()
        .db.select()
        .from(collections)
        .where(eq(collections.name, "in flight 1"));
      expect(rows).toHaveLength(1);
      const [card] = await writer`select count(*)::int as n from cards where name = 'in flight 2'`;
      expect(card?.n).toBe(1);
    } finally {
      await writer.end();
    }
  });

  it("a writer past the drain timeout: a clear error, read-only off, no trigger left", async () => {
    const writer = connect();
    try {
      const reserved = await writer.reserve();
      await reserved`begin`;
      // `dashboards` comes after tables the install has already done by then.
      await reserved`insert into dashboards (name) values ('slow writer')`;
      const error = await enableReadOnly(database(), {
        reason: "test",
        source: "test",
        drainTimeoutMs: 300,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe("conflict:read_only_drain");
      expect((await readOnlyStatus(database().db)).enabled).toBe(false);
      expect(await triggers()).toEqual([]);
      await reserved`commit`;
      reserved.release();
      await database().db.insert(collections).values({ name: "after timeout" });
    } finally {
      await writer.end();
    }
  });

  it("a removal while an enable is installing leaves the guard alone", async () => {
    const writer = connect();
    try {
      const reserved = await writer.reserve();
      await reserved`begin`;
      await reserved`insert into dashboards (name) values ('holding')`;
      const enabling = enableReadOnly(database(), {
        reason: "test",
        source: "test",
        drainTimeoutMs: 10_000,
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const installedSoFar = await triggers();
      expect(installedSoFar.length).toBeGreaterThan(0);
      expect((await removeReadOnlyGuard(database().db)).stopped).toBe("guard being changed");
      expect(await triggers()).toEqual(installedSoFar);
      await reserved`commit`;
      reserved.release();
      await enabling;
      expect(await enabledTriggers()).toEqual(wanted());
    } finally {
      await writer.end();
    }
  });

  it("switching off while a long read is open returns at once; writes pass; the heartbeat finishes later", async () => {
    await enableReadOnly(database(), { reason: "test", source: "test" });
    const reader = connect();
    try {
      const reserved = await reader.reserve();
      await reserved`begin isolation level repeatable read`;
      await reserved`select count(*) from collections`; // ACCESS SHARE until the end
      const started = performance.now();
      await disableReadOnly(database());
      expect(performance.now() - started).toBeLessThan(2_000);
      // Not dropped (that would queue behind the reader), only disabled.
      const left = await readOnlyGuardTriggers(database().db);
      expect(left.map((t) => t.table)).toContain("collections");
      expect(left.filter((t) => t.enabled)).toEqual([]);
      const writing = performance.now();
      await database().db.insert(collections).values({ name: "during the read" });
      expect(performance.now() - writing).toBeLessThan(1_000);
      await reserved`commit`;
      reserved.release();
      // Every node's heartbeat retries (lib/cluster/node.ts).
      const services = await startNodeServices(database(), { jobs: [], heartbeatMs: 3_600_000 });
      try {
        await services.refresh();
        expect(await triggers()).toEqual([]);
      } finally {
        await services.stop();
      }
    } finally {
      await reader.end();
    }
  });

  it("a reader in another database made from the same template does not count as one here", async () => {
    const other = await createTestDatabase("postgres");
    const reader = postgres(other.url!, { max: 1, onnotice: () => {} });
    try {
      const oid = async (url: string) => {
        const c = postgres(url, { max: 1, onnotice: () => {} });
        const [row] = await c`select 'public.collections'::regclass::oid::int as oid`;
        await c.end();
        return row?.oid as number;
      };
      // The same relation OID in both, as `create database … template` copies it.
      expect(await oid(other.url!)).toBe(await oid(database().url!));
      const reserved = await reader.reserve();
      await reserved`begin`;
      await reserved`select count(*) from collections`;
      await enableReadOnly(database(), { reason: "test", source: "test" });
      await disableReadOnly(database());
      expect(await triggers()).toEqual([]);
      await reserved`commit`;
      reserved.release();
    } finally {
      await reader.end();
      await other.drop();
    }
  });

  it("switching on while a long read is open does not wait for it", async () => {
    const reader = connect();
    try {
      const reserved = await reader.reserve();
      await reserved`begin isolation level repeatable read`;
      await reserved`select count(*) from collections`;
      await enableReadOnly(database(), { reason: "test", source: "test", drainTimeoutMs: 2_000 });
      expect(await enabledTriggers()).toEqual(wanted());
      await reserved`commit`;
      reserved.release();
    } finally {
      await reader.end();
    }
  });
});
