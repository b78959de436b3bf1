import type { TableShape, TextQuery } from "../catalog";
import { quoteIdent } from "../tables";
import type { SecretRewrite } from "./secret-rewrite";

/** What one worker reads of one table (PGlite: in key ranges, so in key order; PostgreSQL: in physical order). */
export interface TableReadSpec {
  shape: TableShape;
  rewrite: SecretRewrite | null;
  /** SQL condition on the rows that may leave the instance; null for all (see ../instance-only.ts). */
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
  /** A query on this worker's own connection (same snapshot): work shared across workers. */
  query: TextQuery;
}

/** Several workers (connections) that all see one snapshot, and a query on it. */
export interface Snapshot {
  query: TextQuery;
  workers: SnapshotWorker[];
}

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
