import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import postgres from "postgres";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { adminUrl, testEngines } from "@/lib/testing/engines";

/**
 * Regression tests for the two postgres.js 3.4.9 COPY bugs that
 * patches/postgres+3.4.9.patch fixes (applied by `postinstall`). Without the
 * patch both tests time out.
 */
const settles = <T>(promise: Promise<T>, ms = 3000): Promise<T> =>
  Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms),
    ),
  ]);

describe.skipIf(!testEngines().includes("postgres"))("postgres.js COPY (patched)", () => {
  let sql: postgres.Sql;
  beforeEach(() => {
    sql = postgres(adminUrl(), { max: 1, onnotice: () => {} });
  });
  afterEach(async () => {
    await sql.end({ timeout: 1 });
  });

  it("runs the next query after a COPY TO STDOUT read (issues #499, #917)", async () => {
    // The whole reply arrives in one socket chunk that overfills the stream,
    // so CopyData pauses the socket and CopyDone follows in the same chunk.
    const readable =
      await sql`copy (select repeat('x', 100) from generate_series(1, 300)) to stdout`.readable();
    await new Promise((resolve) => setTimeout(resolve, 200));
    let bytes = 0;
    for await (const chunk of readable) bytes += (chunk as Buffer).length;
    expect(bytes).toBe(300 * 101);
    const [row] = await settles(sql`select 1 as x`);
    expect(row).toEqual({ x: 1 });
  });

  it("fails a COPY FROM STDIN the server rejects, and rolls back (issue #1173)", async () => {
    const outcome = sql.begin(async (tx) => {
      await tx`create temp table t (a int)`;
      const writable = await tx`copy t from stdin`.writable();
      await pipeline(Readable.from([Buffer.from("1\nnot-a-number\n")]), writable);
    });
    await expect(settles(outcome)).rejects.toThrow(/invalid input syntax for type integer/);
    // The connection is usable again and not left in an aborted transaction.
    const [row] = await settles(sql`select 2 as x`);
    expect(row).toEqual({ x: 2 });
  });
});
