import fs from "node:fs";
import path from "node:path";
import { log } from "@/lib/log";
import { disableReadOnly, readOnlyStatus } from "@/lib/read-only";
import { isSchedulerPaused, resumeScheduler } from "@/lib/scheduler";
import { removeCapture } from "./capture";
import { storeClientFor } from "./cloud-copy";
import type { MigrationContext } from "./context";
import { holdOf } from "./holds";
import { stampReadOnlyEnd, type MigrationRow } from "./row";

export { migrationSource } from "./holds";

/**
 * What every ending owes, whatever it was (done, error, cancel, crash): lift
 * read-only mode if this migration holds it, remove change capture, resume
 * the scheduler, delete the archive, and abort an unfinished upload on the
 * store (which drops a partial copy). Each step is
 * idempotent and runs even when an earlier one fails.
 */
export async function cleanUpMigration(
  context: MigrationContext,
  row: MigrationRow,
  options: { abortUpload: boolean; keepReadOnly?: boolean },
): Promise<void> {
  const { db } = context.handle;
  const steps: [string, () => Promise<void>][] = [
    [
      "lift read-only mode",
      async () => {
        // Done with a cut-over: the freeze stays, handed over by settleCutOver.
        if (options.keepReadOnly) return;
        const status = await readOnlyStatus(db);
        // Its own freeze, or the cut-over's if a failure came after the hand-over.
        const hold = holdOf(status.source);
        if (status.enabled && hold?.id === row.id) {
          await disableReadOnly(context.handle);
          await stampReadOnlyEnd(db, row.id);
        }
      },
    ],
    [
      // Present only while a migration copies: an ending of any kind takes it away.
      "remove change capture",
      async () => {
        await removeCapture(db);
      },
    ],
    [
      "resume the scheduler",
      async () => {
        if (await isSchedulerPaused(db)) await resumeScheduler(db);
      },
    ],
    [
      "delete the archive",
      async () => {
        if (row.archivePath) {
          await fs.promises.rm(path.dirname(row.archivePath), { recursive: true, force: true });
        }
      },
    ],
    [
      "abort the upload",
      async () => {
        if (options.abortUpload) await storeClientFor(context, row)?.abort();
      },
    ],
  ];
  for (const [what, step] of steps) {
    try {
      await step();
    } catch (error) {
      log.warn({ err: error, migration: row.id }, `could not ${what}`);
    }
  }
}
