import type { AfterDone } from "@/db/schema";
import { recordAudit } from "@/lib/audit";
import { assertAdmin, type Actor } from "@/lib/auth";
import { appVersion } from "@/lib/config/version";
import { codeMigrations } from "@/lib/dump/migrations";
import { AppError, notFound, publicFailureMessage } from "@/lib/errors";
import { log } from "@/lib/log";
import { sealSecret } from "@/lib/secrets/cipher";
import { instanceId } from "@/lib/settings";
import { cleanUpMigration } from "./cleanup";
import type { MigrationContext } from "./context";
import { getMigration, insertMigration, updateMigration } from "./row";
import { isRunningHere, runEnded, runMigration } from "./run";
import { isTerminal } from "./states";
import { resolveCloudKey } from "./cloud-key";
import { createStoreMigration } from "./store-link";

/**
 * Starts a migration: claims the one slot (the database refuses a second),
 * asks the store to open it (it checks the version), then runs it in the
 * background on this node. A store refusal ends the row as `error` and is
 * returned to the admin as the action's message. `afterDone` is the cut-over
 * (see afterDoneChoices): by default the instance stays read-only once the
 * cloud has the copy.
 */
export async function startMigration(
  context: MigrationContext,
  actor: Actor,
  options: { afterDone?: AfterDone } = {},
): Promise<number> {
  assertAdmin(actor);
  const { db } = context.handle;
  const afterDone = options.afterDone ?? "read_only";
  const row = await insertMigration(
    db,
    { startedById: actor.id, storeUrl: context.storeUrl, ownerNode: context.nodeId, afterDone },
    (tx, inserted) =>
      recordAudit(tx, {
        actorId: actor.id,
        action: "migration.start",
        targetType: "cloud_migration",
        targetId: inserted.id,
        details: { storeUrl: context.storeUrl, afterDone },
      }),
  );
  try {
    const cloudKey = await resolveCloudKey(db, context.secretKey, context.cloudKey);
    const link = await createStoreMigration(
      context.storeUrl,
      { appVersion, schemaMigrationId: schemaMigrationId(), instanceId: await instanceId(db) },
      cloudKey?.key ?? null,
    );
    await updateMigration(db, row.id, "init", {
      externalId: link.externalId,
      storeToken: sealSecret(link.token, context.secretKey),
      storeSealingKey: link.sealingPublicKey,
    });
  } catch (error) {
    const message = publicFailureMessage(error, "Starting the migration");
    log.error({ err: error, migration: row.id }, "could not link the migration to the store");
    await updateMigration(db, row.id, "init", {
      state: "error",
      error: message,
      finishedAt: new Date(),
    });
    await recordAudit(db, {
      actorId: actor.id,
      action: "migration.error",
      targetType: "cloud_migration",
      targetId: row.id,
      details: { reason: message },
    });
    throw error;
  }
  void runMigration(context, row.id)
    .then(() => auditEnding(context, row.id))
    .catch((error: unknown) =>
      log.error({ err: error, migration: row.id }, "migration runner crashed"),
    );
  return row.id;
}

/**
 * Cancels at any phase. The row turns `cancelled` at once (never `error`);
 * the node running it hears of it and stops, cleaning up after itself. If no
 * node of this process runs it, the clean-up happens here: read-only lifted,
 * scheduler resumed, upload aborted.
 */
export async function cancelMigration(
  context: MigrationContext,
  actor: Actor,
  id: number,
): Promise<void> {
  assertAdmin(actor);
  const { db } = context.handle;
  const row = await getMigration(db, id);
  if (!row) throw notFound("migration");
  if (isTerminal(row.state)) {
    throw new AppError(
      "conflict",
      "migration_finished",
      `This migration has already ended (${row.state}).`,
    );
  }
  const cancelled = await updateMigration(db, id, "unfinished", {
    state: "cancelled",
    cancelledById: actor.id,
    finishedAt: new Date(),
  });
  if (!cancelled)
    throw new AppError("conflict", "migration_finished", "This migration has already ended.");
  await recordAudit(db, {
    actorId: actor.id,
    action: "migration.cancel",
    targetType: "cloud_migration",
    targetId: id,
    details: { phase: row.state },
  });
  // The run here stops and cleans up; wait for it so the instance is writable
  // when the admin's dialog closes. No run here: clean up from this node.
  if (isRunningHere(id)) await runEnded(id, 15_000);
  else await cleanUpMigration(context, row, { abortUpload: true });
}

/** This build's schema, named by its last committed migration. */
export function schemaMigrationId(): string {
  return codeMigrations().at(-1)?.id ?? "none";
}

/** The audit log records how each migration ended, with why. */
async function auditEnding(context: MigrationContext, id: number): Promise<void> {
  const row = await getMigration(context.handle.db, id);
  if (!row || row.state === "cancelled") return;
  await recordAudit(context.handle.db, {
    actorId: row.startedById,
    action: row.state === "done" ? "migration.done" : "migration.error",
    targetType: "cloud_migration",
    targetId: id,
    details: row.state === "done" ? { tables: row.restoredTables } : { reason: row.error },
  });
}
