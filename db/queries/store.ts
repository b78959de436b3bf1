import { eq } from "drizzle-orm";
import type { Database } from "../client";
import { storeMigrations } from "../schema";

/** What the cloud side shows of a migration it received: never the token hash. */
export async function getCloudInstance(db: Database, externalId: string) {
  const [row] = await db
    .select({
      externalId: storeMigrations.externalId,
      instanceId: storeMigrations.instanceId,
      appVersion: storeMigrations.appVersion,
      state: storeMigrations.state,
      tableCounts: storeMigrations.tableCounts,
      targetDatabase: storeMigrations.targetDatabase,
      failureReason: storeMigrations.failureReason,
      updatedAt: storeMigrations.updatedAt,
    })
    .from(storeMigrations)
    .where(eq(storeMigrations.externalId, externalId));
  return row ?? null;
}
