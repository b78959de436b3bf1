import { eq, inArray } from "drizzle-orm";
import { storeMigrations } from "@/db/schema";
import { log } from "@/lib/log";
import type { StoreContext } from "./context";
import { transition, unfinishedStates } from "./migrations";
import { sweepCron, sweepExpiredUploads } from "./sweep";
import { fail, verifyAndRestore } from "./verify";

/**
 * One restore job: verifies and restores a received migration. A migration
 * already restored or failed is left alone (the job ran before). One left in
 * verifying or restoring had an attempt cut short (its store stopped or
 * died): it goes back to `received` and whatever half-made target that
 * attempt left is dropped, so the restore starts again from an empty target.
 */
export async function runRestoreJob(
  ctx: StoreContext,
  externalId: string,
  signal: AbortSignal,
): Promise<void> {
  const [row] = await ctx.db
    .select()
    .from(storeMigrations)
    .where(eq(storeMigrations.externalId, externalId));
  if (!row || !unfinishedStates.includes(row.state)) return;
  let received = row;
  if (row.state !== "received") {
    log.warn(
      { store_migration: externalId, was: row.state },
      "restoring again a store migration whose restore was cut short",
    );
    received = await transition(ctx, row, {
      state: "received",
      tableCounts: null,
      targetDatabase: null,
      failureReason: null,
    });
    try {
      await ctx.targets.drop(ctx.targets.locate(externalId));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await fail(
        ctx,
        received.id,
        `Restore failed: the half-restored database left by an interrupted restore could not be removed (${message}).`,
      );
      return;
    }
  }
  await verifyAndRestore(ctx, received, signal);
}

/**
 * Puts back in line every migration between upload and outcome that has no
 * restore job queued or running: one whose job was lost between its state
 * change and the enqueue, or that dates from before restores were queued.
 * Those whose job is still queued or running are left to it (several store
 * processes may share the database). One whose job used up its retries (cut
 * short every time) is failed. Returns the external ids it put in line.
 */
export async function resumeStoreWork(ctx: StoreContext): Promise<string[]> {
  const rows = await ctx.db
    .select()
    .from(storeMigrations)
    .where(inArray(storeMigrations.state, [...unfinishedStates]));
  const resumed: string[] = [];
  for (const row of rows) {
    if ((await ctx.restores.lastJobState(row.externalId)) === "failed") {
      await ctx.targets.drop(ctx.targets.locate(row.externalId)).catch(() => {});
      await fail(
        ctx,
        row.id,
        "Restore failed: it was interrupted every time it was tried. Nothing was restored.",
      );
      continue;
    }
    if (await ctx.restores.enqueue(row.externalId)) {
      log.warn(
        { store_migration: row.externalId, was: row.state },
        "store migration put back in line",
      );
      resumed.push(row.externalId);
    }
  }
  return resumed;
}

/**
 * Starts this store process's restore workers and the sweep of expired
 * uploads, then puts back in line what has no job.
 */
export async function startStoreRestores(ctx: StoreContext): Promise<string[]> {
  await ctx.restores.start((externalId, signal) => runRestoreJob(ctx, externalId, signal));
  await ctx.restores.startSweep(async () => {
    await sweepExpiredUploads(ctx);
  }, sweepCron);
  return resumeStoreWork(ctx);
}
