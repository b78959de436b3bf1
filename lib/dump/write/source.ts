import type { TableShape, TextQuery } from "../catalog";
import type { SecretRewrite } from "../secrets";
import { quoteIdent } from "../tables";

/** What one worker reads of one table (PGlite: in key ranges, so in key order; PostgreSQL: in physical order). */
export interface TableReadSpec {
  shape: TableShape;
  rewrite: SecretRewrite | null;
  /** SQL condition on the rows that may leave the instance; null for all (see instance-only.ts). */
  rowFilter: string | null;
  /** Rows per round trip; bounds the memory a batch takes. */
  batchRows: number;
}

/** COPY text of whole rows. */
export interface ReadBatch {
  data: Buffer;
  rows: number;
}

export interface SnapshotWorker {
  readTable(spec: TableReadSpec): AsyncIterable<ReadBatch>;
}

/** Several workers (connections) that all see one snapshot, and a query on it. */
export interface Snapshot {
  query: TextQuery;
  workers: SnapshotWorker[];
}

/**
 * Output settings that make every value print the same way on every server
 * and in every session: the bytes are checksummed and compared across engines.
 * Transaction-local, so the app's own sessions are untouched.
 */
export const stableOutputSettings = `select
  set_config('TimeZone', 'UTC', true), set_config('DateStyle', 'ISO, MDY', true),
  set_config('IntervalStyle', 'postgres', true), set_config('extra_float_digits', '1', true),
  set_config('bytea_output', 'hex', true), set_config('standard_conforming_strings', 'on', true)`;

/** Primary key expressions for ordering: byte order for text, so both engines sort alike. */
export function keyExpressions(shape: TableShape): string[] {
  if (shape.primaryKey.length === 0) {
    throw new Error(
      `Table ${shape.name} has no primary key: the dump reads tables in key order and cannot read it.`,
    );
  }
  return shape.primaryKey.map((name) => {
    const column = shape.columns.find((c) => c.name === name);
    return column?.collatable ? `(${quoteIdent(name)} COLLATE "C")` : quoteIdent(name);
  });
}

export function selectList(spec: TableReadSpec): string {
  return [
    ...spec.shape.columns.map((c) => quoteIdent(c.name)),
    ...(spec.rewrite?.extraSelect ?? []),
  ].join(", ");
}
