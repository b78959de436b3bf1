import { expect, it } from "vitest";
import type { Database } from "@/db/client";
import { describeEachEngine } from "@/lib/testing/engines";
import { insertUser } from "@/lib/testing/fixtures";
import {
  eventsSince,
  ForbiddenTransition,
  getMigration,
  insertMigration,
  stampReadOnlyEnd,
  updateMigration,
} from "./row";

/** A migration in `init`, as startMigration leaves it before the store answers. */
async function newMigration(db: Database) {
  const admin = await insertUser(db, { role: "admin" });
  return insertMigration(db, {
    startedById: admin.id,
    storeUrl: "http://127.0.0.1:1",
    ownerNode: "row-test",
    afterDone: "writable",
  });
}

describeEachEngine("migration row and its event log", (database) => {
  it("never shows a row version whose event is not in the log yet", async () => {
    const { db } = database();
    const row = await newMigration(db);

    // A reader polls the row as the progress page and the tests do, while the
    // writer moves it on. Every version it sees must already be replayable.
    let writing = true;
    const missing: number[] = [];
    const reader = (async () => {
      while (writing) {
        const current = await getMigration(db, row.id);
        const log = await eventsSince(db, row.id, -1);
        if (current && !log.some((event) => event.version === current.version)) {
          missing.push(current.version);
        }
      }
    })();
    try {
      await updateMigration(db, row.id, "init", { state: "setup", progress: 1 });
      await updateMigration(db, row.id, "setup", { state: "dump", progress: 5 });
      await updateMigration(db, row.id, "dump", { state: "upload", progress: 50 });
      for (let progress = 51; progress <= 99; progress++) {
        await updateMigration(db, row.id, "upload", { progress });
      }
      await updateMigration(db, row.id, "upload", { state: "sync", progress: 90 });
      await updateMigration(db, row.id, "sync", { state: "done", progress: 100 });
      await stampReadOnlyEnd(db, row.id);
    } finally {
      writing = false;
      await reader;
    }

    expect(missing).toEqual([]);
    const log = await eventsSince(db, row.id, -1);
    expect(log.at(-1)?.state).toBe("done");
    expect(log.at(-1)?.readOnlyUntil).not.toBeNull();
    expect(log.map((event) => event.version)).toEqual(
      [...Array(log.length).keys()].map((i) => log[0]!.version + i),
    );
  });

  it("refuses a state write that skips a phase or ends a migration as done from anywhere", async () => {
    const { db } = database();
    const row = await newMigration(db);
    await expect(updateMigration(db, row.id, "init", { state: "dump" })).rejects.toThrow(
      ForbiddenTransition,
    );
    await expect(updateMigration(db, row.id, "unfinished", { state: "done" })).rejects.toThrow(
      ForbiddenTransition,
    );
    await expect(updateMigration(db, row.id, "init", { state: "upload" })).rejects.toThrow(
      /cannot go from init to upload/,
    );
    const unchanged = await getMigration(db, row.id);
    expect(unchanged?.state).toBe("init");
    expect(unchanged?.version).toBe(row.version);
    // The allowed ones still pass the gate.
    expect(await updateMigration(db, row.id, "init", { state: "setup" })).toBe(true);
    expect(await updateMigration(db, row.id, "unfinished", { state: "error" })).toBe(true);
    expect((await getMigration(db, row.id))?.state).toBe("error");
  });
});
