import { sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { describeEachEngine } from "@/lib/testing/engines";
import { captureQuery } from "@/lib/migration/capture";
import { DigestWork, tableDigests, type DigestSpec } from "./digest";

const specs: DigestSpec[] = [
  { table: "settings", columns: ["key", "value"] },
  { table: "collections", columns: ["id", "name", "parent_id"] },
  { table: "users", columns: [] },
];

describeEachEngine("table digests shared among lanes", (database) => {
  it("leaves a transaction's own tables to the lane that may see them, then agrees with one lane", async () => {
    const { db } = database();
    await db.execute(sql`insert into settings (key, value) values ('digest-a', '"1"')`);
    await db.execute(sql`insert into collections (name) values ('digest one'), ('digest two')`);
    const query = captureQuery(db);

    const work = new DigestWork(specs, new Set(["settings", "collections"]), ["collections"]);
    await work.run(query);
    // A lane that may not take the own tables leaves them: results refuse to be partial.
    expect(() => work.results()).toThrow(/the digest of settings was not taken/);
    expect(() => work.rowCounts()).toThrow(/the rows of collections were not counted/);
    await work.run(query, { own: true });
    const shared = work.results();
    expect(work.rowCounts()).toEqual({ collections: 2 });

    // A table without columns has no digest; the rest match one lane's.
    expect(shared.map((d) => d.table)).toEqual(["settings", "collections"]);
    expect(shared).toEqual(await tableDigests(query, specs));
    expect(shared.find((d) => d.table === "collections")!.digest).toMatch(/^2:-?\d+$/);

    // A changed row changes its table's digest and no other.
    await db.execute(sql`update collections set name = 'digest three' where name = 'digest two'`);
    const after = await tableDigests([query, query], specs);
    expect(after[0]).toEqual(shared[0]);
    expect(after[1]!.digest).not.toEqual(shared[1]!.digest);
  });
});
