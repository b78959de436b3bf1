import { expect, it } from "vitest";
import { auditLog, cloudMigration, dataSources, settings } from "@/db/schema";
import { listAuditLog } from "@/lib/audit/views";
import { listNodes } from "@/lib/cluster/overview";
import { cloudCopyOf, type MigrationContext } from "@/lib/migration";
import { getDataSourceForEdit, listDataSourcesForAdmin } from "@/lib/data-sources/views";
import { AppError } from "@/lib/errors";
import { jobOverview } from "@/lib/scheduler/overview";
import { listSettingsForDisplay } from "@/lib/settings";
import { describeEachEngine } from "@/lib/testing/engines";
import { insertUser } from "@/lib/testing/fixtures";
import { listUsersForAdmin } from "@/lib/users/views";
import type { Actor } from "./actor";

/**
 * Item 0 of the security issue, at the query layer: every read behind an admin
 * page takes the actor and refuses a member itself, so a page that forgets
 * its own check still reads nothing. The admin gets the planted rows.
 */
describeEachEngine("admin reads check the role themselves", (database) => {
  it("refuses a member every admin read and serves the admin", async () => {
    const { db } = database();
    const adminActor = await insertUser(db, { role: "admin" });
    const memberActor = await insertUser(db, { role: "user" });
    const [source] = await db
      .insert(dataSources)
      .values({
        name: "marker source",
        engine: "postgres",
        details: { host: "h", port: 5432, database: "d", user: "u", password: "pw", ssl: false },
        createdById: adminActor.id,
      })
      .returning({ id: dataSources.id });
    await db.insert(auditLog).values({ actorId: adminActor.id, action: "marker.audit" });
    await db
      .insert(settings)
      .values({ key: "marker.setting", value: "marker value", secret: false });
    const externalId = "0123456789abcdef01234567";
    // A migration that ended before it reached the store: the page shows the
    // instance's own record without asking anyone.
    await db.insert(cloudMigration).values({
      state: "error",
      externalId,
      restoredTables: { marker_table: 7 },
    });
    const context = { handle: database(), secretKey: null } as unknown as MigrationContext;
    const sourceId = source!.id;

    const reads: Record<string, (actor: Actor) => Promise<unknown>> = {
      users: (actor) => listUsersForAdmin(db, actor),
      dataSources: (actor) => listDataSourcesForAdmin(db, actor),
      dataSource: (actor) => getDataSourceForEdit(db, actor, sourceId),
      audit: (actor) => listAuditLog(db, actor),
      settings: (actor) => listSettingsForDisplay(db, actor),
      nodes: (actor) => listNodes(db, actor, { staleAfterSeconds: 30 }),
      jobs: (actor) => jobOverview(db, actor, () => null),
      cloudCopy: (actor) => cloudCopyOf(context, actor, externalId),
    };
    for (const [name, read] of Object.entries(reads)) {
      const refusal = await read(memberActor).then(
        () => null,
        (error: unknown) => error,
      );
      expect(refusal, name).toBeInstanceOf(AppError);
      expect((refusal as AppError).code, name).toBe("forbidden:admin");
    }

    const text = async (name: string) => JSON.stringify(await reads[name]!(adminActor));
    expect(await text("users")).toContain(memberActor.email);
    expect(await text("dataSources")).toContain("marker source");
    expect(await text("dataSource")).toContain("marker source");
    expect(await text("dataSource")).not.toContain('"pw"');
    expect(await text("audit")).toContain("marker.audit");
    expect(await text("settings")).toContain("marker value");
    expect(await text("cloudCopy")).toContain("marker_table");
  });
});
