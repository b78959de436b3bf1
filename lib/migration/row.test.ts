import { expect, it } from "vitest";
import { describeEachEngine } from "@/lib/testing/engines";
import { insertUser } from "@/lib/testing/fixtures";
import {
  eventsSince,
  getMigration,
  insertMigration,
  stampReadOnlyEnd,
  updateMigration,
} from "./row";

describeEachEngine("migration row and its event log", (database) => {
  it("never shows a row version whose event is not in the log yet", async () => {
    const { db } = database();
    const admin = await insertUser(db, { role: "admin" });
    const row = await insertMigration(db, {
      startedById: admin.id,
      storeUrl: "http://127.0.0.1:1",
      ownerNode: "row-test",
    });

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
    for (let progress = 1; progress <= 60; progress++) {
      await updateMigration(db, row.id, "unfinished", { state: "upload", progress });
    }
    await updateMigration(db, row.id, "upload", { state: "done", progress: 100 });
    await stampReadOnlyEnd(db, row.id);
    writing = false;
    await reader;

    expect(missing).toEqual([]);
    const log = await eventsSince(db, row.id, -1);
    expect(log.at(-1)?.state).toBe("done");
    expect(log.at(-1)?.readOnlyUntil).not.toBeNull();
    expect(log.map((event) => event.version)).toEqual(
      [...Array(log.length).keys()].map((i) => log[0]!.version + i),
    );
  });
});
