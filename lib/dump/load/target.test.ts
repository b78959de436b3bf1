import crypto from "node:crypto";
import { setImmediate } from "node:timers/promises";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, testEngines, type TestDatabase } from "@/lib/testing/engines";
import { PiecePool } from "../format/inflate";
import { withLoadTransaction } from "./target";

const PIECE = 1 << 20;

describe.skipIf(!testEngines().includes("postgres"))("COPY from reused buffers [postgres]", () => {
  let target: TestDatabase;
  beforeAll(async () => {
    target = await createTestDatabase("postgres", { migrate: false });
    // A server that reads slowly: each piece's first row makes it wait, so
    // the pieces after it queue up in the socket.
    await (target.raw as postgres.Sql).unsafe(`
      create function slow_ok(x text) returns boolean language plpgsql as $$
      begin
        if x like 'slow%' then perform pg_sleep(0.15); end if;
        return true;
      end $$;
      create table slow_copy (x text not null check (slow_ok(x)))`);
  });
  afterAll(async () => {
    await target.drop();
  });

  it("reuses a piece's buffer only once the piece has gone out", async () => {
    const pool = new PiecePool(PIECE);
    const expected = crypto.createHash("md5");
    async function* pieces(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 12; i++) {
        // Each piece on a later turn of the event loop, as the archive's come.
        await setImmediate();
        const buffer = pool.take();
        let n = buffer.write(`slow ${i}\n`);
        for (let j = 0; n + 80 < PIECE; j++) n += buffer.write(`${i}:${j}:${"x".repeat(60)}\n`, n);
        expected.update(buffer.subarray(0, n));
        pool.lend(buffer);
        yield buffer.subarray(0, n);
      }
    }
    await withLoadTransaction(target, async (t) => {
      // COPY FREEZE, as a load sends it, needs the table emptied in its transaction.
      await t.exec("truncate slow_copy");
      await t.copyIn("slow_copy", ["x"], pieces(), (piece) => pool.giveBack(piece));
    });
    // Row order as sent: the table was empty and COPY appends.
    const [row] = await (target.raw as postgres.Sql)<{ digest: string }[]>`
      select md5(string_agg(x || E'\n', '' order by ctid)) as digest from slow_copy`;
    expect(row!.digest).toBe(expected.digest("hex"));
  });
});
