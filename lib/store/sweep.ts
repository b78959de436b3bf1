import { and, eq, lte } from "drizzle-orm";
import { storeMigrations } from "@/db/schema";
import { log } from "@/lib/log";
import type { StoreContext } from "./context";
import { transition } from "./migrations";

/** pg-boss's five-field cron (UTC): the sweep runs once every this often, cluster-wide. */
export const sweepCron = "*/5 * * * *";

export const expiredUploadReason =
  "Aborted by the store: the upload did not finish before the migration's token expired.";

/**
 * Migrations still awaiting their upload when their token expired can never
 * finish (no route takes an expired token): abort their multipart upload,
 * delete whatever object arrived, and mark them aborted, so they stop
 * counting against their key and stop holding storage. One that moves on
 * meanwhile (another node's sweep) is left to whoever moved it.
 */
export async function sweepExpiredUploads(
  ctx: StoreContext,
  now: Date = new Date(),
): Promise<string[]> {
  const expired = await ctx.db
    .select()
    .from(storeMigrations)
    .where(
      and(eq(storeMigrations.state, "awaiting_upload"), lte(storeMigrations.tokenExpiresAt, now)),
    );
  const swept: string[] = [];
  for (const m of expired) {
    try {
      if (m.uploadId) await ctx.storage.abortMultipart(m.objectKey, m.uploadId);
      await ctx.storage.deleteObject(m.objectKey);
      await transition(ctx, m, { state: "aborted", failureReason: expiredUploadReason });
      swept.push(m.externalId);
      log.info({ store_migration: m.externalId }, "expired upload swept");
    } catch (error) {
      // The next run tries again; one bad object must not keep the rest.
      log.warn({ err: error, store_migration: m.externalId }, "could not sweep an expired upload");
    }
  }
  return swept;
}
