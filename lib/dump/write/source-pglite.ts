import type { PGlite, Transaction } from "@electric-sql/pglite";
import { stableOutputSettings, type TextQuery } from "../catalog";
import { countCopyRows, pushCopyRow, type FieldValue } from "../format/copy-text";
import { qualified, quoteIdent, quoteLiteral } from "../tables";
import {
  keyExpressions,
  selectList,
  type ReadBatch,
  type Snapshot,
  type TableReadSpec,
} from "./source";

/**
 * PGlite is one connection: the transaction holds it for the whole dump, so
 * the snapshot is consistent by construction (and other queries wait). When
 * the caller has frozen writes (read-only mode, as a migration does), each
 * batch may instead run in a short transaction of its own, so that the app
 * goes on serving reads while the dump runs.
 * `COPY ... TO STDOUT` returns nothing on PGlite, and `TO '/dev/blob'` returns
 * the whole result at once, so each table is read in primary-key ranges of
 * `batchRows` rows to keep memory bounded.
 */
function textQuery(tx: Transaction): TextQuery {
  return async (query) => (await tx.query<(string | null)[]>(query, [], { rowMode: "array" })).rows;
}

const identity = (value: string) => value;
// jsonb and text cover the extra expressions secret rewrites select.
const extraTypeOids = [25, 3802];

/** Runs one batch's queries: inside the dump's transaction, or in one of its own. */
type BatchRunner = <T>(fn: (tx: Transaction) => Promise<T>) => Promise<T>;

async function* readTable(run: BatchRunner, spec: TableReadSpec): AsyncIterable<ReadBatch> {
  const keys = keyExpressions(spec.shape);
  const order = keys.join(", ");
  const table = qualified(spec.shape.name);
  const keyText = spec.shape.primaryKey.map((k) => `${quoteIdent(k)}::text`).join(", ");
  const parsers = Object.fromEntries(
    [...spec.shape.columns.map((c) => c.typeOid), ...extraTypeOids].map((oid) => [oid, identity]),
  );
  const tuple = (values: (string | null)[]) =>
    `(${values.map((v) => quoteLiteral(v!)).join(", ")})`;
  let after: (string | null)[] | null = null;
  for (;;) {
    const range: string = after ? `(${order}) > ${tuple(after)}` : "true";
    const lower = spec.rowFilter ? `${range} and (${spec.rowFilter})` : range;
    const batch = await run(async (tx) => {
      const bound: { rows: (string | null)[][] } = await tx.query<(string | null)[]>(
        `select ${keyText} from ${table} where ${lower} order by ${order} offset ${spec.batchRows - 1} limit 1`,
        [],
        { rowMode: "array" },
      );
      const upper: (string | null)[] | null = bound.rows[0] ?? null;
      const where = upper ? `${lower} and (${order}) <= ${tuple(upper)}` : lower;
      const select = `select ${selectList(spec)} from ${table} where ${where} order by ${order}`;
      if (spec.rewrite) {
        const width = spec.shape.columns.length;
        const result = await tx.query<FieldValue[]>(select, [], { rowMode: "array", parsers });
        const parts: Buffer[] = [];
        for (const raw of result.rows) {
          const row = raw.slice(0, width);
          spec.rewrite.apply(row, raw.slice(width));
          pushCopyRow(parts, row);
        }
        return { upper, data: Buffer.concat(parts), rows: result.rows.length };
      }
      const result = await tx.query(`COPY (${select}) TO '/dev/blob'`);
      const data = result.blob ? Buffer.from(await result.blob.arrayBuffer()) : Buffer.alloc(0);
      return { upper, data, rows: data.length ? countCopyRows(data) : 0 };
    });
    if (batch.rows) yield { data: batch.data, rows: batch.rows };
    if (!batch.upper) return;
    after = batch.upper;
  }
}

async function readOnlyTransaction<T>(pg: PGlite, fn: (tx: Transaction) => Promise<T>): Promise<T> {
  return pg.transaction(async (tx) => {
    await tx.query("set transaction isolation level repeatable read read only");
    await tx.query(stableOutputSettings);
    return fn(tx);
  });
}

export async function withPgliteSnapshot<T>(
  pg: PGlite,
  fn: (snapshot: Snapshot) => Promise<T>,
  options: { writesFrozen?: boolean } = {},
): Promise<T> {
  if (options.writesFrozen) {
    const run: BatchRunner = (batch) => readOnlyTransaction(pg, batch);
    const query: TextQuery = (text) => run((tx) => textQuery(tx)(text));
    return fn({ query, workers: [{ query, readTable: (spec) => readTable(run, spec) }] });
  }
  return readOnlyTransaction(pg, (tx) =>
    fn({
      query: textQuery(tx),
      workers: [
        { query: textQuery(tx), readTable: (spec) => readTable((batch) => batch(tx), spec) },
      ],
    }),
  );
}
