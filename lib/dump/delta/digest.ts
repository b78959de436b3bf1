import type { TextQuery } from "../catalog";
import { exportableRows } from "../instance-only";
import { comparableColumn } from "../secrets";
import { qualified, quoteLiteral } from "../tables";

/**
 * What a digest covers in one table: the columns that cannot change while
 * read-only mode is on (an exempt column such as `last_used_at` may move
 * between the source's digest and the copy's), and the rows that cannot
 * either (`exclude`: rows whose column holds one of these keys). The
 * migration derives these from the read-only guard's plan; the manifest
 * carries them, and the store builds its query from them (never from SQL
 * text it was sent).
 */
export interface DigestSpec {
  table: string;
  columns: string[];
  exclude?: { column: string; keys: string[] };
}

/** A digest with what it covers, as a final delta's manifest lists it. */
export interface TableDigest extends DigestSpec {
  digest: string;
}

/**
 * Per-table digests: the row count and the sum of a 64-bit hash of each row
 * (`hash_record_extended`: each column's own hash function, the one hash
 * partitioning relies on, so no value is printed as text — twice as fast as
 * hashing the row's text, and the digest is the read-only window's largest
 * cost), so that the order rows come in does not matter and no table is held
 * in memory. Equal rows hash alike on either engine; secrets are left out
 * (comparableColumn). A digest proves the two tables hold the
 * same rows up to a 64-bit hash collision in a sum, which a copy does not
 * produce by accident.
 */
export async function tableDigests(
  queries: TextQuery | TextQuery[],
  specs: DigestSpec[],
): Promise<TableDigest[]> {
  // Several connections on one snapshot share the tables out: a digest is a
  // scan of the table, and the window waits for the last one.
  const lanes = Array.isArray(queries) ? queries : [queries];
  const queue = [...specs];
  const found = new Map<string, TableDigest>();
  await Promise.all(
    lanes.map(async (query) => {
      for (let spec = queue.shift(); spec; spec = queue.shift()) {
        const digest = await digestOf(query, spec);
        if (digest) found.set(spec.table, digest);
      }
    }),
  );
  return specs.flatMap((spec) => found.get(spec.table) ?? []);
}

async function digestOf(query: TextQuery, spec: DigestSpec): Promise<TableDigest | null> {
  if (spec.columns.length === 0) return null;
  const values = spec.columns.map((c) => comparableColumn(spec.table, c)).join(", ");
  const excluded = spec.exclude ? rowsOutside(spec.exclude.column, spec.exclude.keys) : null;
  const conditions = [exportableRows(spec.table), excluded].filter(Boolean);
  const where = conditions.length ? ` where ${conditions.join(" and ")}` : "";
  const [row] = await query(
    `select count(*)::text, coalesce(sum(hash_record_extended(row(${values}), 0)::numeric), 0)::text from ${qualified(spec.table)}${where}`,
  );
  return { ...spec, digest: `${row![0]}:${row![1]}` };
}

/** The condition for rows whose `column` is not one of `keys`. */
export function rowsOutside(column: string, keys: readonly string[]): string {
  if (keys.length === 0) return "true";
  return `"${column.replace(/"/g, '""')}" not in (${keys.map(quoteLiteral).join(", ")})`;
}

/** Tables whose digests differ, as a sentence; null when all match. */
export function digestMismatch(expected: TableDigest[], actual: TableDigest[]): string | null {
  const found = new Map(actual.map((d) => [d.table, d.digest]));
  const differ = expected.filter((d) => found.get(d.table) !== d.digest);
  if (differ.length === 0) return null;
  const rows = (digest: string | undefined) => digest?.split(":")[0] ?? "no";
  const counts = differ
    .slice(0, 5)
    .map(
      (d) => `${d.table} (source ${rows(d.digest)} rows, copy ${rows(found.get(d.table))} rows)`,
    );
  return `The copy does not match the source in ${differ.length} table${differ.length > 1 ? "s" : ""}: ${counts.join(", ")}${differ.length > 5 ? ", …" : ""}.`;
}
