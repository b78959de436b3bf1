import zlib from "node:zlib";
import path from "node:path";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, testEngines, type TestDatabase } from "@/lib/testing/engines";
import { parseCopyRows } from "../format/copy-text";
import { archiveEntries } from "../format/read-archive";
import { tempDir } from "../testing/fixtures";
import { verifyDumpArchive } from "../verify/verify";
import { writeDumpArchive } from "./write";
import fs from "node:fs";
import { Writable } from "node:stream";

const ROWS = 3000;
const TOTAL = ROWS * 2 * 1000;

/** Sums the balances the archive holds: view_log.duration_ms plus audit_log.details.amount. */
async function archivedTotal(file: string): Promise<number> {
  const { manifest } = await verifyDumpArchive(file);
  let total = 0;
  for await (const entry of archiveEntries(file)) {
    if (entry.kind !== "data") continue;
    const table = manifest.tables.find((t) => t.files.some((f) => f.path === entry.name))!;
    if (table.name !== "view_log" && table.name !== "audit_log") continue;
    // Verified above: the text is what the dump wrote.
    for (const row of parseCopyRows(zlib.gunzipSync(entry.data), table.columns.length)) {
      if (table.name === "view_log") total += Number(row[table.columns.indexOf("duration_ms")]);
      else
        total += (JSON.parse(row[table.columns.indexOf("details")]!) as { amount: number }).amount;
    }
  }
  return total;
}

// Several connections only exist on PostgreSQL; PGlite's one transaction is trivially consistent.
describe.runIf(testEngines().includes("postgres"))("snapshot consistency [postgres]", () => {
  let source: TestDatabase;
  beforeAll(async () => {
    source = await createTestDatabase("postgres");
    const sql = source.raw as postgres.Sql;
    await sql`insert into view_log (model, model_id, duration_ms) select 'card', g, 1000 from generate_series(1, ${ROWS}) g`;
    await sql`insert into audit_log (action, details) select 'balance', '{"amount": 1000}'::jsonb from generate_series(1, ${ROWS}) g`;
    await sql`analyze`;
  });
  afterAll(async () => {
    await source.drop();
  });

  it("holds the database as of one instant while writers keep moving amounts between tables", async () => {
    const sql = source.raw as postgres.Sql;
    let dumping = true;
    let transfers = 0;
    const writer = async (seed: number) => {
      let i = seed;
      while (dumping) {
        i = (i * 7919 + 13) % ROWS;
        const amount = (i % 97) + 1;
        await sql.begin(async (tx) => {
          await tx`update view_log set duration_ms = duration_ms - ${amount} where id = ${i + 1}`;
          await tx`update audit_log set details = jsonb_build_object('amount', (details->>'amount')::int + ${amount}) where id = ${ROWS - i}`;
        });
        transfers++;
      }
    };
    const file = path.join(tempDir(), "moving.tar");
    const writers = [writer(1), writer(2)];
    let transfersDuringDump = 0;
    try {
      const before = transfers;
      // Small files, two connections, and a slow destination: the dump holds
      // its snapshot for a while (COPY reads wait on the archive's backpressure).
      const out = fs.createWriteStream(file, { highWaterMark: 1024 });
      const slow = new Writable({
        highWaterMark: 1024,
        write(chunk: Buffer, _encoding, callback) {
          setTimeout(() => out.write(chunk, callback), 2);
        },
        final(callback) {
          out.end(callback);
        },
      });
      const result = await writeDumpArchive(source, slow, {
        parallel: 2,
        batchRows: 20,
        chunkBytes: 4096,
      });
      transfersDuringDump = transfers - before;
      expect(result.manifest.tables.find((t) => t.name === "view_log")!.rows).toBe(ROWS);
    } finally {
      dumping = false;
      await Promise.all(writers);
    }
    expect(transfersDuringDump).toBeGreaterThan(20);
    expect(await archivedTotal(file)).toBe(TOTAL);
    const [{ now }] = await sql<[{ now: string }]>`
      select ((select sum(duration_ms) from view_log) + (select sum((details->>'amount')::int) from audit_log))::text as now`;
    expect(Number(now)).toBe(TOTAL);
  }, 60_000);
});
