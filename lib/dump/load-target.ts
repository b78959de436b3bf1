import type { PGlite, Transaction } from "@electric-sql/pglite";
import type postgres from "postgres";
import type { DatabaseHandle } from "@/db/client";
import type { TextQuery } from "./catalog";
import { parseCopyRows } from "./copy-text";
import { stableOutputSettings } from "./source";
import { qualified, quoteIdent, quoteLiteral } from "./tables";

/** One transaction on the database being loaded. */
export interface LoadTarget {
  query: TextQuery;
  exec(statement: string): Promise<void>;
  /** Inserts COPY text rows (identity values included) into `table`. */
  copyIn(table: string, columns: string[], data: Buffer): Promise<void>;
}

function pgliteTarget(tx: Transaction): LoadTarget {
  return {
    query: async (query) =>
      (await tx.query<(string | null)[]>(query, [], { rowMode: "array" })).rows,
    exec: async (statement) => {
      await tx.exec(statement);
    },
    // The server parses its own format: exact, and fast.
    copyIn: async (table, columns, data) => {
      await tx.query(
        `COPY ${qualified(table)} (${columns.map(quoteIdent).join(", ")}) FROM '/dev/blob'`,
        [],
        { blob: new Blob([new Uint8Array(data)]) },
      );
    },
  };
}

const INSERT_BATCH_ROWS = 5000;

/**
 * postgres.js's `COPY FROM STDIN` never settles when the server rejects the
 * data (issue #1173), so a bad archive would hang the load. Rows are parsed
 * here and sent as one text[] per column; the server casts each value with
 * the column type's input function, the same parse COPY would do.
 */
function postgresTarget(tx: postgres.TransactionSql): LoadTarget {
  const types = new Map<string, Map<string, string>>();
  const query: TextQuery = async (q) => (await tx.unsafe(q).values()) as (string | null)[][];
  return {
    query,
    exec: async (statement) => {
      await tx.unsafe(statement);
    },
    copyIn: async (table, columns, data) => {
      let byColumn = types.get(table);
      if (!byColumn) {
        const rows = await query(`
          select attname::text, format_type(atttypid, atttypmod) from pg_attribute
          where attrelid = ${quoteLiteral(qualified(table))}::regclass and attnum > 0 and not attisdropped`);
        byColumn = new Map(rows.map(([name, type]) => [name!, type!]));
        types.set(table, byColumn);
      }
      const casts = columns.map((c, i) => {
        const type = byColumn.get(c);
        if (!type) throw new Error(`Table ${table} has no column ${c}.`);
        return `u.c${i}::${type}`;
      });
      const sql = `insert into ${qualified(table)} (${columns.map(quoteIdent).join(", ")}) overriding system value
        select ${casts.join(", ")} from unnest(${columns.map((_, i) => `$${i + 1}::text[]`).join(", ")})
        as u(${columns.map((_, i) => `c${i}`).join(", ")})`;
      const rows = parseCopyRows(data, columns.length);
      for (let start = 0; start < rows.length; start += INSERT_BATCH_ROWS) {
        const batch = rows.slice(start, start + INSERT_BATCH_ROWS);
        const params = columns.map((_, i) => batch.map((row) => row[i]!));
        await tx.unsafe(sql, params as never[]);
      }
    },
  };
}

export async function withLoadTransaction<T>(
  handle: DatabaseHandle,
  fn: (target: LoadTarget) => Promise<T>,
): Promise<T> {
  if (handle.engine === "pglite") {
    return (handle.raw as PGlite).transaction(async (tx) => {
      await tx.query(stableOutputSettings);
      return fn(pgliteTarget(tx));
    });
  }
  return (handle.raw as postgres.Sql).begin(async (tx) => {
    await tx.unsafe(stableOutputSettings);
    return fn(postgresTarget(tx));
  }) as Promise<T>;
}
