import { and, eq, lte, or } from "drizzle-orm";
import { storeMigrations } from "@/db/schema";
import { log } from "@/lib/log";
import type { StoreContext } from "./context";
import { dropBaseCopy } from "./delta";
import { transition } from "./migrations";

/** pg-boss's five-field cron (UTC): the sweep runs once every this often, cluster-wide. */
export const sweepCron = "*/5 * * * *";

export const expiredUploadReason =
  "Aborted by the store: the upload did not finish before the migration's token expired.";

export const abandonedCopyReason =
  "Aborted by the store: the instance's last changes did not arrive before the migration's token expired; the partial copy was dropped.";

/**
 * A restored base whose token expired this long ago is given up: no request
 * that took the token before it expired can still be applying a delta.
 */
export const abandonedCopyGraceMs = 60 * 60 * 1000;

/**
 * Migrations still awaiting their upload when their token expired can never
 * finish (no route takes an expired token): abort their multipart upload,
 * delete whatever object arrived, and mark them aborted, so they stop
 * counting against their key and stop holding storage. The same for a base
 * copy restored whose final delta never came (the instance gone for good):
 * its copy is not the source, so it is dropped, an hour after the token
 * expired. One that moves on meanwhile (another node's sweep) is left to
 * whoever moved it.
 */
export async function sweepExpiredUploads(
  ctx: StoreContext,
  now: Date = new Date(),
): Promise<string[]> {
  const expired = await ctx.db
    .select()
    .from(storeMigrations)
    .where(
      or(
        and(eq(storeMigrations.state, "awaiting_upload"), lte(storeMigrations.tokenExpiresAt, now)),
        and(
          eq(storeMigrations.state, "base_restored"),
          lte(storeMigrations.tokenExpiresAt, new Date(now.getTime() - abandonedCopyGraceMs)),
        ),
      ),
    );
  const swept: string[] = [];
  for (const m of expired) {
    try {
      if (m.state === "base_restored") {
        // Dropped first: a drop that fails leaves it to the next run.
        await dropBaseCopy(ctx, m);
        await transition(ctx, m, { state: "aborted", failureReason: abandonedCopyReason });
        swept.push(m.externalId);
        log.info({ store_migration: m.externalId }, "abandoned base copy swept");
        continue;
      }
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
