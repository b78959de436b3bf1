import { qualified, quoteLiteral } from "./tables";

/** A query whose every output column is text; null for SQL NULL. */
export type TextQuery = (query: string) => Promise<(string | null)[][]>;

/**
 * Output settings that make every value print the same way on every server
 * and in every session: the bytes are checksummed and compared across engines.
 * Transaction-local, so the app's own sessions are untouched.
 */
export const stableOutputSettings = `select
  set_config('TimeZone', 'UTC', true), set_config('DateStyle', 'ISO, MDY', true),
  set_config('IntervalStyle', 'postgres', true), set_config('extra_float_digits', '1', true),
  set_config('bytea_output', 'hex', true), set_config('standard_conforming_strings', 'on', true)`;

export interface TableShape {
  name: string;
  columns: { name: string; typeOid: number; collatable: boolean }[];
  primaryKey: string[];
}

function list(names: string[]): string {
  return names.map(quoteLiteral).join(", ");
}

/**
 * Columns as the database has them (not as the Drizzle objects say: the data
 * files must fit the schema at the archive's migration id), minus generated
 * columns, which are recomputed on load.
 */
export async function tableShapes(query: TextQuery, tables: string[]): Promise<TableShape[]> {
  const rows = await query(`
    select c.relname::text, a.attname::text, a.atttypid::text, (a.attcollation <> 0)::text,
           (select array_position(i.indkey::int2[], a.attnum)::text from pg_index i
             where i.indrelid = c.oid and i.indisprimary)
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
    join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
    where c.relname in (${list(tables)}) and c.relkind in ('r', 'p') and a.attgenerated = ''
    order by c.relname, a.attnum`);
  return tables.map((name) => {
    const own = rows.filter((r) => r[0] === name);
    if (own.length === 0) throw new Error(`Table public.${name} is missing from the database.`);
    const primaryKey = own
      .filter((r) => r[4] !== null)
      .sort((a, b) => Number(a[4]) - Number(b[4]))
      .map((r) => r[1]!);
    return {
      name,
      columns: own.map((r) => ({
        name: r[1]!,
        typeOid: Number(r[2]),
        collatable: r[3] === "true",
      })),
      primaryKey,
    };
  });
}

/** Row and size estimates for progress; `reltuples` is -1 before the first ANALYZE. */
export async function tableEstimates(
  query: TextQuery,
  tables: string[],
): Promise<Map<string, { rows: number; bytes: number }>> {
  const rows = await query(`
    select c.relname::text, c.reltuples::bigint::text, pg_table_size(c.oid)::text
    from pg_class c join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
    where c.relname in (${list(tables)}) and c.relkind in ('r', 'p')`);
  const result = new Map<string, { rows: number; bytes: number }>();
  for (const [name, tuples, bytes] of rows) {
    let estimate = Number(tuples);
    if (estimate < 0) {
      const counted = await query(`select count(*)::text from ${qualified(name!)}`);
      estimate = Number(counted[0]?.[0] ?? 0);
    }
    result.set(name!, { rows: estimate, bytes: Number(bytes) });
  }
  return result;
}

/**
 * Identity and serial sequences of the tables, with the value the next row
 * would get. Carrying it (rather than max(id)+1 on load) keeps ids of deleted
 * rows from being handed out again in the restored instance.
 */
export async function sequenceStates(
  query: TextQuery,
  tables: string[],
): Promise<{ table: string; column: string; sequence: string }[]> {
  const rows = await query(`
    select c.relname::text, a.attname::text,
           pg_get_serial_sequence(format('%I.%I', n.nspname, c.relname), a.attname)
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
    join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
    where c.relname in (${list(tables)}) and c.relkind in ('r', 'p')
      and pg_get_serial_sequence(format('%I.%I', n.nspname, c.relname), a.attname) is not null
    order by 1, 2`);
  return rows.map(([table, column, sequence]) => ({
    table: table!,
    column: column!,
    sequence: sequence!,
  }));
}

export async function nextSequenceValue(query: TextQuery, sequence: string): Promise<string> {
  // `sequence` comes from pg_get_serial_sequence, already quoted where needed.
  const rows = await query(
    `select (case when is_called then last_value + 1 else last_value end)::text from ${sequence}`,
  );
  return rows[0]![0]!;
}

export async function appliedMigrationRows(
  query: TextQuery,
): Promise<{ hash: string; createdAt: number }[]> {
  const exists = await query(`select to_regclass('drizzle.__drizzle_migrations')::text`);
  if (exists[0]?.[0] === null) return [];
  const rows = await query(
    `select hash, created_at::text from drizzle.__drizzle_migrations order by created_at, id`,
  );
  return rows.map(([hash, createdAt]) => ({ hash: hash!, createdAt: Number(createdAt) }));
}

/** Names of relations in `public` and rows in drizzle's table: a load target must have neither. */
export async function existingContent(query: TextQuery): Promise<string[]> {
  const rows = await query(`
    select c.relname::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
    order by 1`);
  const found = rows.map((r) => `public.${r[0]}`);
  if ((await appliedMigrationRows(query)).length > 0) found.push("drizzle.__drizzle_migrations");
  return found;
}
