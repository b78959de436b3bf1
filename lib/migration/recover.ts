import os from "node:os";
import { sql } from "drizzle-orm";
import { isProcessAlive } from "@/db/data-dir-lock";
import { rowsOf } from "@/db/rows";
import { log } from "@/lib/log";
import { disableReadOnly, readOnlyStatus } from "@/lib/read-only";
import { isSchedulerPaused, nodeStaleAfterSeconds, resumeScheduler } from "@/lib/scheduler";
import { captureInstalled, removeCapture } from "./capture";
import { cleanUpMigration } from "./cleanup";
import { settleCutOver } from "./cut-over";
import { holdOf } from "./holds";
import type { MigrationContext } from "./context";
import {
  claimOwnership,
  getMigration,
  unfinishedMigrations,
  updateMigration,
  type MigrationRow,
} from "./row";
import { isRunningHere, runMigration } from "./run";
import { isTerminal } from "./states";

/**
 * Run on start-up and now and then by every node: finds migrations whose
 * node is gone and takes them over. One in `upload` is run again, and the
 * run asks the store first: it resumes the upload (the archive on this
 * node's disk checked), waits for the cloud's verdict, or ends as the store
 * says; so does one in `sync` (done if the cloud applied the final delta).
 * One in an earlier phase ends as `error` with everything restored. A
 * node takes a migration over by one conditional update, so of several nodes
 * recovering at once exactly one acts. Also lifts a read-only mode or a
 * scheduler pause that no unfinished migration holds any more, so an
 * instance is never left stuck.
 */
export async function recoverMigrations(context: MigrationContext): Promise<void> {
  const { db } = context.handle;
  for (const row of await unfinishedMigrations(db)) {
    if (isRunningHere(row.id) || (await ownerAlive(context, row))) continue;
    if (!(await claimOwnership(db, row.id, row.ownerNode, context.nodeId))) continue;
    if (row.state === "upload" || row.state === "sync") {
      // The run asks the store first: it resumes the upload (the archive on
      // disk checked), waits for the cloud's restore, or ends as the store says.
      log.info({ migration: row.id }, "resuming an interrupted migration from the store's status");
      void runMigration(context, row.id);
      continue;
    }
    log.warn({ migration: row.id, state: row.state }, "ending an interrupted migration");
    // Clean up before saying so, as a failed run does.
    await cleanUpMigration(context, row, { abortUpload: true });
    await updateMigration(db, row.id, "unfinished", {
      state: "error",
      error: `Interrupted: the server running it stopped during the ${row.state} phase. Nothing was migrated; the instance is writable again. Start again when ready.`,
      finishedAt: new Date(),
    });
  }
  await liftOrphanedHolds(context);
}

async function ownerAlive(context: MigrationContext, row: MigrationRow): Promise<boolean> {
  // A node id names one process (host, pid and a random part): a row this
  // node owns is one it is running or has just opened (startMigration waits
  // for the store before it runs the row), never one left behind.
  if (row.ownerNode === context.nodeId) return true;
  if (!row.ownerNode) return false;
  const [host, pid] = row.ownerNode.split(":");
  // On this host a dead process is known at once, without waiting for its heartbeat to age.
  if (host === os.hostname() && pid && !isProcessAlive(Number(pid))) return false;
  const fresh = rowsOf<{ fresh: boolean }>(
    await context.handle.db.execute(sql`select exists(
      select 1 from liftoff_cluster.nodes where id = ${row.ownerNode}
        and last_seen_at > now() - make_interval(secs => ${nodeStaleAfterSeconds})) as fresh`),
  )[0]?.fresh;
  return fresh === true;
}

async function liftOrphanedHolds(context: MigrationContext): Promise<void> {
  const { db } = context.handle;
  // Change capture that no unfinished migration needs (a crash left it): gone.
  if ((await unfinishedMigrations(db)).length === 0 && (await captureInstalled(db))) {
    await removeCapture(db);
  }
  const readOnly = await readOnlyStatus(db);
  const hold = readOnly.enabled ? holdOf(readOnly.source) : null;
  if (hold) {
    const row = await getMigration(db, hold.id);
    const movedForGood = row?.state === "done" && row.afterDone === "read_only";
    if (movedForGood) {
      // Older rows could end done before the hand-over: settle it as the run does.
      if (hold.kind === "migration") await settleCutOver(context, row);
    } else if (!row || isTerminal(row.state)) {
      // Its migration ended (or the hand-over came before a failure): lift it.
      await disableReadOnly(context.handle);
    }
  }
  const paused = await isSchedulerPaused(db);
  const reason = rowsOf<{ reason: string | null }>(
    await db.execute(sql`select reason from liftoff_cluster.scheduler_state where id = 1`),
  )[0]?.reason;
  const pauseHold = holdOf(reason ?? null);
  if (paused && pauseHold?.kind === "migration") {
    const row = await getMigration(db, pauseHold.id);
    if (!row || isTerminal(row.state)) await resumeScheduler(db);
  }
}
