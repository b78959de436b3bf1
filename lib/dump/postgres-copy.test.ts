import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { finished, pipeline } from "node:stream/promises";
import postgres from "postgres";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { adminUrl, testEngines } from "@/lib/testing/engines";

/**
 * Regression tests for the two postgres.js 3.4.9 COPY bugs that
 * patches/postgres+3.4.9.patch fixes (applied by `postinstall`; without it
 * the first two tests time out), for the patch's own fast path that
 * hands a run of COPY TO rows to the stream as one chunk, and for its
 * TCP_NODELAY.
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

  it("streams COPY TO rows byte for byte, a run of them per chunk", async () => {
    // Rows of 32 to 224 bytes, and now and then one of ~130 KB that is split
    // over several socket reads (a message header split too, at times).
    // Hex text only, so a row's COPY text is just `g<TAB>r<NEWLINE>`.
    const rows = `select g, repeat(md5(g::text), case when g % 50 = 0 then 4000 + g else g % 7 + 1 end) as r from generate_series(1, 4000) g`;
    const [expected] = await sql.unsafe<{ sha: string; bytes: string }[]>(
      `select encode(sha256(convert_to(string_agg(g || chr(9) || r || chr(10), '' order by g), 'UTF8')), 'hex') as sha,
              sum(octet_length(g || chr(9) || r || chr(10)))::text as bytes
       from (${rows}) t`,
    );
    const hash = createHash("sha256");
    let bytes = 0;
    let chunks = 0;
    const readable = await sql.unsafe(`copy (${rows} order by g) to stdout`).readable();
    // Flowing mode: every push is its own "data" event.
    readable.on("data", (chunk: Buffer) => {
      hash.update(chunk);
      bytes += chunk.length;
      chunks++;
    });
    await finished(readable);
    expect(String(bytes)).toBe(expected!.bytes);
    expect(hash.digest("hex")).toBe(expected!.sha);
    // Unpatched, every row is a push of its own.
    expect(chunks).toBeLessThan(1000);
    const [row] = await settles(sql`select 3 as x`);
    expect(row).toEqual({ x: 3 });
  });

  it("ends a COPY FROM STDIN without waiting for the server's delayed ACK", async () => {
    // With Nagle's algorithm on (postgres.js's default), the small CopyDone
    // after a COPY's data waits until the server acknowledges the data, which
    // Linux delays by 40 ms or more: 20 COPYs took 1.7 s here, now ~20 ms.
    await sql`create temp table t (a int)`;
    const started = performance.now();
    for (let i = 0; i < 20; i++) {
      const writable = await sql`copy t from stdin`.writable();
      await pipeline(Readable.from([Buffer.from(`${i}\n`)]), writable);
    }
    const elapsed = performance.now() - started;
    const [row] = await sql`select count(*)::int as n from t`;
    expect(row).toEqual({ n: 20 });
    expect(elapsed).toBeLessThan(400);
  });
});
