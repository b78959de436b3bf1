import { inArray } from "drizzle-orm";
import { storeMigrations, type StoreMigration } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { log } from "@/lib/log";
import type { StoreContext } from "./context";
import { transition } from "./migrations";
import { fail, inBackground, verifyAndRestore } from "./verify";

/** States whose work runs in the background of the process that accepted the upload. */
const unfinished = ["received", "verifying", "restoring"] as const;

/**
 * Verification and restore run in the background of one process; a restart
 * loses them and leaves migrations in received/verifying/restoring for good.
 * This takes each one back to `received` (only from the state it was read
 * in, so a concurrent resume of the same row loses), drops whatever half-made
 * target the lost run left, and runs verification and restore again, in the
 * background. Returns the external ids it resumed.
 *
 * It assumes no other live store process is working on those migrations:
 * call it once, when the store starts, on a store that runs as one process
 * (as `npm start` does). Several store nodes would need a lease per
 * migration first.
 */
export async function resumeStoreWork(ctx: StoreContext): Promise<string[]> {
  const rows = await ctx.db
    .select()
    .from(storeMigrations)
    .where(inArray(storeMigrations.state, [...unfinished]));
  const resumed: string[] = [];
  for (const row of rows) {
    let claimed: StoreMigration;
    try {
      claimed = await transition(ctx, row, {
        state: "received",
        tableCounts: null,
        targetDatabase: null,
        failureReason: null,
      });
    } catch (error) {
      if (error instanceof AppError && error.code === "conflict:state") continue;
      throw error;
    }
    log.warn(
      { store_migration: row.externalId, was: row.state },
      "resuming store migration after a restart",
    );
    inBackground(ctx, async () => {
      try {
        await ctx.targets.drop(ctx.targets.locate(claimed.externalId));
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        await fail(
          ctx,
          claimed.id,
          `Restore failed: the half-restored database left by a restart could not be removed (${message}).`,
        ).catch(() => {});
        return;
      }
      await verifyAndRestore(ctx, claimed);
    });
    resumed.push(claimed.externalId);
  }
  return resumed;
}
