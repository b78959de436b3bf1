import type { Database } from "@/db/client";
import { rowsOf } from "@/db/rows";
import { sql } from "drizzle-orm";
import type { TextQuery } from "../catalog";
import { dumpTables, quoteIdent, quoteLiteral } from "../tables";

/**
 * Change capture for a migration's base phase: while the base copy is made
 * with the instance writable, an AFTER ROW trigger on every copied table
 * records which key changed and in which transaction. A delta then carries
 * the current rows of every key whose transaction the previous copy's
 * snapshot did not see (see changedKeysSql).
 *
 * All of it lives in schema `liftoff_capture`, which is never dumped and
 * never guarded, and exists only while a migration copies: removeCapture
 * drops the schema, and with it every trigger (they depend on its functions).
 * Triggers, not logical decoding: PGlite has none.
 */
export const CAPTURE_SCHEMA = "liftoff_capture";
const changesTable = `${CAPTURE_SCHEMA}.changes`;

/** Advisory-lock key of install and remove: two nodes never race on the DDL. */
const captureLockKey = [0x4c494654, 2] as const;

/** A table's primary key columns with their SQL types, for typed key comparisons. */
export interface KeyColumn {
  name: string;
  type: string;
}

/** Primary key columns of each `public` table, in key order. */
export async function primaryKeyColumns(
  query: TextQuery,
  tables: string[],
): Promise<Map<string, KeyColumn[]>> {
  const rows = await query(`
    select c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
    from pg_index i
    join pg_class c on c.oid = i.indrelid
    join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
    cross join lateral unnest(i.indkey) with ordinality as k(attnum, position)
    join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum
    where i.indisprimary and c.relname in (${tables.map(quoteLiteral).join(", ")})
    order by c.relname, k.position`);
  const keys = new Map<string, KeyColumn[]>();
  for (const [table, name, type] of rows) {
    const list = keys.get(table!) ?? [];
    list.push({ name: name!, type: type! });
    keys.set(table!, list);
  }
  for (const table of tables) {
    if (!keys.has(table)) {
      throw new Error(`Table ${table} has no primary key: its changes cannot be captured.`);
    }
  }
  return keys;
}

/** The tables a migration copies, hence captures. */
export function capturedTables(): string[] {
  return dumpTables()
    .filter((t) => !t.excluded)
    .map((t) => t.name);
}

const functionName = (table: string) => `${CAPTURE_SCHEMA}.${quoteIdent(`record_${table}`)}`;

/**
 * One trigger function per table, with its key columns written out: no
 * `to_jsonb(new)` per row, which would cost each write a copy of the row.
 * An update that changes the key records the old key too (the delta deletes
 * it). TRUNCATE records no keys, so it is refused while capture is on.
 */
function captureStatements(table: string, key: KeyColumn[]): string[] {
  const keyOf = (row: "new" | "old") =>
    `array[${key.map((k) => `${row}.${quoteIdent(k.name)}::text`).join(", ")}]`;
  const keyChanged = key
    .map((k) => `old.${quoteIdent(k.name)} is distinct from new.${quoteIdent(k.name)}`)
    .join(" or ");
  const t = `public.${quoteIdent(table)}`;
  const name = quoteLiteral(table);
  return [
    `create or replace function ${functionName(table)}() returns trigger language plpgsql as $capture$
begin
  if tg_op = 'TRUNCATE' then
    raise exception 'TRUNCATE of % is refused while a migration copies this instance: delete the rows instead, or cancel the migration.', tg_table_name
      using errcode = '55000';
  end if;
  if tg_op <> 'DELETE' then
    insert into ${changesTable} (tbl, key) values (${name}, ${keyOf("new")});
  end if;
  if tg_op = 'DELETE' or (tg_op = 'UPDATE' and (${keyChanged})) then
    insert into ${changesTable} (tbl, key) values (${name}, ${keyOf("old")});
  end if;
  return null;
end
$capture$`,
    `create or replace trigger liftoff_capture after insert or update or delete on ${t} for each row execute function ${functionName(table)}()`,
    `create or replace trigger liftoff_capture_truncate before truncate on ${t} for each statement execute function ${functionName(table)}()`,
  ];
}

/**
 * Installs capture on every copied table. The schema and the changes table
 * first; then each table's trigger in a transaction of its own. `CREATE
 * TRIGGER` takes the table's SHARE ROW EXCLUSIVE lock, so it waits for
 * writers already in that table (`lockTimeoutMs` bounds the wait); holding
 * one table's lock at a time, it can never deadlock with a writer that holds
 * another table and wants this one (all tables in one transaction did, and
 * PostgreSQL then aborts one of the two, maybe the user's write). A write
 * that reached a table before its trigger was committed, before the install
 * went on: the base snapshot, taken after the last table, holds it.
 * On a failure what was installed is removed again.
 */
export async function installCapture(db: Database, lockTimeoutMs = 30_000): Promise<void> {
  const timeout = `set local lock_timeout = ${Math.max(1, Math.floor(lockTimeoutMs))}`;
  const tables = capturedTables();
  try {
    const keys = await db.transaction(async (tx) => {
      await tx.execute(sql.raw(timeout));
      await tx.execute(
        sql`select pg_advisory_xact_lock(${captureLockKey[0]}, ${captureLockKey[1]})`,
      );
      const query: TextQuery = async (text) =>
        rowsOf<Record<string, string | null>>(await tx.execute(sql.raw(text))).map((r) =>
          Object.values(r),
        );
      const found = await primaryKeyColumns(query, tables);
      await tx.execute(sql.raw(`create schema if not exists ${CAPTURE_SCHEMA}`));
      // txid_current() is the writer's own transaction: a delta compares it with
      // the snapshot of the copy before it (txid_visible_in_snapshot).
      await tx.execute(
        sql.raw(`create table if not exists ${changesTable} (
          tbl text not null,
          key text[] not null,
          txid bigint not null default txid_current()
        )`),
      );
      await tx.execute(
        sql.raw(`create index if not exists changes_by_table on ${changesTable} (tbl, txid)`),
      );
      return found;
    });
    for (const table of tables) {
      await db.transaction(async (tx) => {
        await tx.execute(sql.raw(timeout));
        for (const statement of captureStatements(table, keys.get(table)!)) {
          await tx.execute(sql.raw(statement));
        }
      });
    }
  } catch (error) {
    await removeCapture(db).catch(() => {});
    throw error;
  }
}

/**
 * Removes capture, triggers and records alike: each table's triggers in a
 * transaction of its own (one table lock at a time, as install), then the
 * schema. Dropping a trigger takes its table's ACCESS EXCLUSIVE lock, which
 * waits behind every reader, so each wait is bounded and retried: an ending
 * never hangs on a long report query. Idempotent; a crash's leftovers are
 * removed on start-up (lib/migration/recover.ts).
 */
export async function removeCapture(
  db: Database,
  { lockTimeoutMs = 2_000, attempts = 10 } = {},
): Promise<void> {
  const withRetry = async (work: () => Promise<void>) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        if (attempt >= attempts) throw error;
      }
    }
  };
  const timeout = sql.raw(`set local lock_timeout = ${lockTimeoutMs}`);
  const captured = rowsOf<{ table: string }>(
    await db.execute(sql`select c.relname as table from pg_trigger t
      join pg_class c on c.oid = t.tgrelid
      join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
      where t.tgname in ('liftoff_capture', 'liftoff_capture_truncate')
      group by c.relname order by c.relname`),
  );
  for (const { table } of captured) {
    await withRetry(() =>
      db.transaction(async (tx) => {
        await tx.execute(timeout);
        const t = `public.${quoteIdent(table)}`;
        await tx.execute(sql.raw(`drop trigger if exists liftoff_capture on ${t}`));
        await tx.execute(sql.raw(`drop trigger if exists liftoff_capture_truncate on ${t}`));
      }),
    );
  }
  await withRetry(() =>
    db.transaction(async (tx) => {
      await tx.execute(timeout);
      await tx.execute(
        sql`select pg_advisory_xact_lock(${captureLockKey[0]}, ${captureLockKey[1]})`,
      );
      await tx.execute(sql.raw(`drop schema if exists ${CAPTURE_SCHEMA} cascade`));
    }),
  );
}

/** Whether any capture trigger or the capture schema exists (tests, start-up). */
export async function captureInstalled(db: Database): Promise<boolean> {
  const [row] = rowsOf<{ found: boolean }>(
    await db.execute(sql`select
      exists (select from pg_namespace where nspname = ${CAPTURE_SCHEMA})
      or exists (select from pg_trigger where tgname in ('liftoff_capture', 'liftoff_capture_truncate'))
      as found`),
  );
  return row?.found === true;
}

/** The snapshot a copy was read under, as text (`txid_current_snapshot()`). */
export const snapshotTextSql = "select txid_current_snapshot()::text";

/** Whether `text` is a txid snapshot as PostgreSQL prints it: it goes into SQL. */
export function isSnapshotText(text: string): boolean {
  return /^[0-9]+:[0-9]+:([0-9]+(,[0-9]+)*)?$/.test(text);
}

/**
 * The keys of `table` changed by a transaction that the snapshot `since` did
 * not see: typed like the table's key, so that `(k1, k2) in (<this>)` uses
 * its index, or as the text each type prints (`asText`), for a key list.
 */
export function changedKeysSql(
  table: string,
  key: KeyColumn[],
  since: string,
  { asText = false } = {},
): string {
  if (!isSnapshotText(since)) throw new Error(`not a txid snapshot: ${since}`);
  const columns = key
    .map((k, i) => (asText ? `c.key[${i + 1}]` : `(c.key[${i + 1}])::${k.type}`))
    .join(", ");
  return `select distinct ${columns} from ${changesTable} c
    where c.tbl = ${quoteLiteral(table)} and not txid_visible_in_snapshot(c.txid, ${quoteLiteral(since)}::txid_snapshot)`;
}

/** How many changes a snapshot did not see, over all tables (to size the next delta). */
export async function changesSince(query: TextQuery, since: string): Promise<number> {
  if (!isSnapshotText(since)) throw new Error(`not a txid snapshot: ${since}`);
  const [row] = await query(
    `select count(*)::text from ${changesTable} c where not txid_visible_in_snapshot(c.txid, ${quoteLiteral(since)}::txid_snapshot)`,
  );
  return Number(row?.[0] ?? 0);
}

/** The condition a table's rows meet when they belong in the delta. */
export function changedRowsFilter(table: string, key: KeyColumn[], since: string): string {
  const columns = key.map((k) => quoteIdent(k.name)).join(", ");
  return `(${columns}) in (${changedKeysSql(table, key, since)})`;
}
