import type postgres from "postgres";
import { stableOutputSettings, type TextQuery } from "../catalog";
import { countCopyRows, pushCopyRow, type FieldValue } from "../format/copy-text";
import { qualified } from "../tables";
import {
  keyExpressions,
  selectList,
  type ReadBatch,
  type Snapshot,
  type SnapshotWorker,
  type TableReadSpec,
} from "./source";

/**
 * Plain tables are read with `COPY table (columns) TO STDOUT`, as pg_dump
 * does: a sequential scan in the table's physical order, with no sort, and
 * the server renders its own COPY text so this process only passes bytes on.
 * (postgres.js 3.4.9 left the connection hung after such a read, issues
 * #499/#917, and spent more on each row's message than the server did;
 * patches/postgres+3.4.9.patch fixes both.) The manifest's checksums describe
 * the archive's bytes, whatever the order; a loaded copy keeps the order, so a
 * second dump of it gives the same bytes. Tables whose secrets are rewritten
 * (a few small ones) are read row by row in `raw()` mode, i.e. as the exact
 * bytes of each type's output function, and escaped into COPY text here.
 */
function textQuery(sql: postgres.TransactionSql): TextQuery {
  return async (query) => (await sql.unsafe(query).values()) as (string | null)[][];
}

/**
 * COPY text as it arrives, in whole rows: a row split between two pieces is
 * joined on its own, and the rest of each piece passed on as it is (copying
 * every piece behind the split row's head cost a pass over all the data).
 */
async function* copyRows(sql: postgres.TransactionSql, source: string): AsyncIterable<ReadBatch> {
  const stream = await sql.unsafe(`copy ${source} to stdout`).readable();
  let carry: Buffer | null = null;
  for await (const piece of stream as AsyncIterable<Buffer>) {
    // A newline inside a value is escaped: every 0x0a ends a row.
    let start = 0;
    if (carry) {
      const first = piece.indexOf(0x0a) + 1;
      if (first === 0) {
        carry = Buffer.concat([carry, piece]);
        continue;
      }
      yield { data: Buffer.concat([carry, piece.subarray(0, first)]), rows: 1 };
      carry = null;
      start = first;
    }
    const end = Math.max(start, piece.lastIndexOf(0x0a) + 1);
    if (end > start) {
      const rows = piece.subarray(start, end);
      yield { data: rows, rows: countCopyRows(rows) };
    }
    if (end < piece.length) carry = Buffer.from(piece.subarray(end));
  }
  if (carry) throw new Error("COPY output ended inside a row");
}

function worker(sql: postgres.TransactionSql): SnapshotWorker {
  return {
    query: textQuery(sql),
    async *readTable(spec: TableReadSpec): AsyncIterable<ReadBatch> {
      const table = qualified(spec.shape.name);
      const where = spec.rowFilter ? ` where ${spec.rowFilter}` : "";
      if (!spec.rewrite) {
        yield* copyRows(
          sql,
          where
            ? `(select ${selectList(spec)} from ${table}${where})`
            : `${table} (${selectList(spec)})`,
        );
        return;
      }
      const width = spec.shape.columns.length;
      const query = `select ${selectList(spec)} from ${table}${where} order by ${keyExpressions(spec.shape).join(", ")}`;
      const rewrite = spec.rewrite;
      const cursor = sql.unsafe(query).raw().cursor(spec.batchRows);
      for await (const rows of cursor as AsyncIterable<(Buffer | null)[][]>) {
        const parts: Buffer[] = [];
        for (const raw of rows) {
          const row: FieldValue[] = raw.slice(0, width);
          rewrite.apply(row, raw.slice(width));
          pushCopyRow(parts, row);
        }
        yield { data: Buffer.concat(parts), rows: rows.length };
      }
    },
  };
}

const begin = "isolation level repeatable read read only";
/** A scan joining another one mid-table would rotate the rows: same data, other bytes. */
const fromTheFirstPage = "select set_config('synchronize_seqscans', 'off', true)";

/**
 * One REPEATABLE READ READ ONLY transaction exports its snapshot and every
 * other worker imports it (`SET TRANSACTION SNAPSHOT`), as `pg_dump -j`
 * does: all workers see the database as of one instant.
 */
export async function withPostgresSnapshot<T>(
  sql: postgres.Sql,
  parallel: number,
  fn: (snapshot: Snapshot) => Promise<T>,
): Promise<T> {
  // The exporting transaction holds one pooled connection for the whole dump.
  const count = Math.max(1, Math.min(parallel, sql.options.max));
  return sql.begin(begin, async (main) => {
    await main.unsafe(stableOutputSettings);
    await main.unsafe(fromTheFirstPage);
    const [[snapshotId]] = (await main
      .unsafe("select pg_export_snapshot()")
      .values()) as unknown as [[string]];
    let finish = () => {};
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const readies: Promise<SnapshotWorker>[] = [];
    const ends: Promise<unknown>[] = [];
    for (let i = 1; i < count; i++) {
      let ready: (w: SnapshotWorker) => void = () => {};
      let fail: (e: unknown) => void = () => {};
      readies.push(new Promise<SnapshotWorker>((res, rej) => ((ready = res), (fail = rej))));
      const end = sql
        .begin(begin, async (tx) => {
          await tx.unsafe(`set transaction snapshot '${snapshotId.replace(/'/g, "")}'`);
          await tx.unsafe(stableOutputSettings);
          await tx.unsafe(fromTheFirstPage);
          ready(worker(tx));
          await finished;
        })
        .catch((error: unknown) => fail(error));
      ends.push(end);
    }
    try {
      const others = await Promise.all(readies);
      return await fn({ query: textQuery(main), workers: [worker(main), ...others] });
    } finally {
      finish();
      await Promise.allSettled(ends);
    }
  }) as Promise<T>;
}
