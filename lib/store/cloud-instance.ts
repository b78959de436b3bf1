import { eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { storeMigrations } from "@/db/schema";
import { assertAdmin, type Actor } from "@/lib/auth/actor";

/**
 * What the cloud side shows of a migration it received, never the token hash.
 * In this build the store runs beside the instance, so its admins may look.
 */
export async function getCloudInstance(db: Database, actor: Actor, externalId: string) {
  assertAdmin(actor);
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
