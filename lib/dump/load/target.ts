import type { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import type { PGlite, Transaction } from "@electric-sql/pglite";
import type postgres from "postgres";
import type { DatabaseHandle } from "@/db/client";
import { stableOutputSettings, type TextQuery } from "../catalog";
import { qualified, quoteIdent } from "../tables";

/** One transaction on the database being loaded. */
export interface LoadTarget {
  query: TextQuery;
  /**
   * Runs SQL without parameters or results: one statement, or several
   * separated by semicolons, sent as one message (a load's schema steps are
   * a few hundred short statements, and a round trip each took a third of
   * its start).
   */
  exec(statements: string): Promise<void>;
  /**
   * Inserts COPY text rows (identity values included) into `table`, as they
   * come, and calls `sent` with each piece it no longer needs (the piece's
   * buffer may then be reused). Returns how many rows the server stored, as
   * its reply to the COPY says.
   */
  copyIn(
    table: string,
    columns: string[],
    data: AsyncIterable<Buffer>,
    sent?: (piece: Buffer) => void,
  ): Promise<number>;
  /** False where a COPY is taken whole (in memory) rather than streamed. */
  streamsCopy: boolean;
}

/** Runs `statements` as one script (see LoadTarget.exec); nothing when there are none. */
export async function execAll(target: LoadTarget, statements: string[]): Promise<void> {
  const script = statements.filter((s) => s.trim()).join(";\n");
  if (script) await target.exec(script);
}

function pgliteTarget(tx: Transaction): LoadTarget {
  return {
    query: async (query) =>
      (await tx.query<(string | null)[]>(query, [], { rowMode: "array" })).rows,
    exec: async (statements) => {
      await tx.exec(statements);
    },
    streamsCopy: false,
    // The server parses its own format: exact, and fast. PGlite takes a
    // whole blob (one data file, bounded by the dump's chunk size).
    copyIn: async (table, columns, data, sent) => {
      const pieces: Uint8Array<ArrayBuffer>[] = [];
      for await (const piece of data) {
        pieces.push(new Uint8Array(piece));
        sent?.(piece);
      }
      const result = await tx.query(
        `COPY ${qualified(table)} (${columns.map(quoteIdent).join(", ")}) FROM '/dev/blob'`,
        [],
        { blob: new Blob(pieces) },
      );
      return storedRows(table, result.affectedRows);
    },
  };
}

/**
 * `COPY ... FROM STDIN` streams the rows to the server, which parses its own
 * format. FREEZE writes them frozen (no later hint-bit rewrite): allowed
 * because the load truncates every table in its own transaction. postgres.js
 * 3.4.9 never settled a COPY the server rejected (issue #1173), and kept the
 * server's row count to itself; patches/postgres+3.4.9.patch settles it, and
 * puts the count on the stream as `count`.
 */
export function postgresTarget(
  tx: postgres.TransactionSql | postgres.ReservedSql,
  { freeze = true } = {},
): LoadTarget {
  return {
    query: async (q) => (await tx.unsafe(q).values()) as (string | null)[][],
    // The simple query protocol: one message, any number of statements.
    exec: async (statements) => {
      await tx.unsafe(statements).simple();
    },
    streamsCopy: true,
    copyIn: async (table, columns, data, sent) => {
      const writable = await tx
        .unsafe(
          `copy ${qualified(table)} (${columns.map(quoteIdent).join(", ")}) from stdin${freeze ? " with (freeze)" : ""}`,
        )
        .writable();
      await writePieces(data, writable, sent);
      return storedRows(table, (writable as Writable & { count?: number }).count);
    },
  };
}

/** The row count of a COPY's reply; a reply without one is an error, not zero rows. */
function storedRows(table: string, count: number | null | undefined): number {
  if (typeof count !== "number" || !Number.isInteger(count)) {
    throw new Error(`The server's reply to the COPY into ${table} carries no row count.`);
  }
  return count;
}

/** How many pieces of a COPY may be on their way to the server at once. */
const COPY_PIECES_IN_FLIGHT = 2;

/**
 * Writes the pieces and ends the stream, with at most COPY_PIECES_IN_FLIGHT
 * of them on their way at once (memory stays bounded). A piece is sent once
 * its write has called back: it is in the socket then.
 */
async function writePieces(
  pieces: AsyncIterable<Buffer>,
  writable: Writable,
  sent?: (piece: Buffer) => void,
): Promise<void> {
  const done = finished(writable);
  // Settled below either way; this keeps a failure from going unhandled meanwhile.
  done.catch(() => {});
  const inFlight: Promise<void>[] = [];
  try {
    for await (const piece of pieces) {
      const written = new Promise<void>((resolve, reject) =>
        writable.write(piece, (error) => {
          if (error) return reject(error);
          sent?.(piece);
          resolve();
        }),
      );
      written.catch(() => {});
      inFlight.push(written);
      if (inFlight.length >= COPY_PIECES_IN_FLIGHT) await Promise.race([inFlight.shift(), done]);
    }
    writable.end();
  } catch (error) {
    writable.destroy(error as Error);
    await done.catch(() => {});
    throw error;
  }
  await done;
}

/**
 * `freeze: false` for a load into tables that hold rows from before the
 * transaction (a delta): COPY FREEZE needs tables emptied in it.
 */
export async function withLoadTransaction<T>(
  handle: DatabaseHandle,
  fn: (target: LoadTarget) => Promise<T>,
  { freeze = true } = {},
): Promise<T> {
  if (handle.engine === "pglite") {
    return (handle.raw as PGlite).transaction(async (tx) => {
      await tx.query(stableOutputSettings);
      return fn(pgliteTarget(tx));
    });
  }
  return (handle.raw as postgres.Sql).begin(async (tx) => {
    await tx.unsafe(stableOutputSettings);
    return fn(postgresTarget(tx, { freeze }));
  }) as Promise<T>;
}
