import { recordAudit } from "@/lib/audit";
import { assertAdmin, type Actor } from "@/lib/auth";
import { AppError } from "@/lib/errors";
import { disableReadOnly, handOverReadOnly, readOnlyStatus } from "@/lib/read-only";
import { holdOf, migrationSource, movedSource } from "./holds";
import type { MigrationContext } from "./context";
import { getMigration, type MigrationRow } from "./row";

export { movedSource } from "./holds";
export const MOVED_REASON = "this instance moved to the cloud";

export function movedMigrationId(source: string | null): number | null {
  const hold = holdOf(source);
  return hold?.kind === "moved" ? hold.id : null;
}

/**
 * For a migration whose cut-over keeps this instance read-only, just before
 * it is marked done: the migration's freeze becomes the instance's "moved",
 * so whoever sees `done` sees the cut-over too. Idempotent; recovery runs it
 * for a done migration whose hand-over a crash prevented (older rows).
 */
export async function settleCutOver(context: MigrationContext, row: MigrationRow): Promise<void> {
  if (row.afterDone !== "read_only") return;
  await handOverReadOnly(context.handle, migrationSource(row.id), {
    source: movedSource(row.id),
    reason: MOVED_REASON,
  });
}

/** Where everyone should go instead: the migration that moved this instance, if it stays moved. */
export async function movedTo(
  context: Pick<MigrationContext, "handle">,
): Promise<{ migrationId: number; cloudUrl: string | null; movedAt: string | null } | null> {
  const status = await readOnlyStatus(context.handle.db);
  const id = status.enabled ? movedMigrationId(status.source) : null;
  if (id === null) return null;
  const row = await getMigration(context.handle.db, id);
  return {
    migrationId: id,
    cloudUrl: row?.cloudUrl ?? null,
    movedAt: row?.finishedAt?.toISOString() ?? null,
  };
}

/**
 * "Resume editing here": an admin makes a moved instance writable again,
 * knowing that what changes here will not reach the cloud copy. Audited.
 */
export async function resumeEditingHere(context: MigrationContext, actor: Actor): Promise<void> {
  assertAdmin(actor);
  const status = await readOnlyStatus(context.handle.db);
  const id = status.enabled ? movedMigrationId(status.source) : null;
  if (id === null) {
    throw new AppError(
      "conflict",
      "not_moved",
      "This instance is not held read-only by a finished migration.",
    );
  }
  await disableReadOnly(context.handle, { actorId: actor.id });
  await recordAudit(context.handle.db, {
    actorId: actor.id,
    action: "migration.resume_editing",
    targetType: "cloud_migration",
    targetId: id,
    details: { note: "changes made here from now on do not reach the cloud copy" },
  });
}
