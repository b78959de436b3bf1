import { Writable } from "node:stream";
import { sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { seedDatabase } from "@/lib/seed";
import { describeEachEngine } from "@/lib/testing/engines";
import { dumpToFile, tableChecksums, tempDir } from "../testing/fixtures";
import { writeDumpArchive } from "./write";

describeEachEngine("dump with writes frozen", (database, engine) => {
  it("writes the same tables as a dump in one transaction", async () => {
    await seedDatabase(database().db, { scale: 0.05, seed: 9, secretKey: null });
    const dir = tempDir();
    const whole = await dumpToFile(database(), `${dir}/whole.tar`, { batchRows: 50 });
    const frozen = await dumpToFile(database(), `${dir}/frozen.tar`, {
      batchRows: 50,
      writesFrozen: true,
    });
    expect(tableChecksums(frozen)).toEqual(tableChecksums(whole));
  });

  it("lets other queries through between batches", async () => {
    // A destination that takes its time: the dump is under way for a while.
    const slow = new Writable({
      write(_chunk, _encoding, done) {
        setTimeout(done, 5);
      },
    });
    let dumpDone = false;
    const dumping = writeDumpArchive(database(), slow, { batchRows: 20, writesFrozen: true }).then(
      () => (dumpDone = true),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    await database().db.execute(sql`select 1`);
    // On PGlite this only holds in the frozen mode: one transaction would hold
    // the single connection until the end. PostgreSQL never blocks here.
    expect(dumpDone, engine).toBe(false);
    await dumping;
  });
});
