import type { DatabaseHandle } from "@/db/client";
import { recordAudit } from "@/lib/audit";
import { assertAdmin, type Actor } from "@/lib/auth";
import { AppError } from "@/lib/errors";
import { disableReadOnly, enableReadOnly, readOnlyStatus } from "./mode";

/**
 * An admin switching read-only mode by hand ("maintenance mode"). It does not
 * take over a migration's read-only window: that one ends with the migration.
 */
export async function setMaintenanceMode(
  handle: DatabaseHandle,
  actor: Actor,
  enabled: boolean,
): Promise<void> {
  assertAdmin(actor);
  const status = await readOnlyStatus(handle.db);
  if (status.enabled === enabled) return;
  if (!enabled && status.source?.startsWith("migration:")) {
    throw new AppError(
      "conflict",
      "read_only_migration",
      "A cloud migration holds read-only mode: cancel the migration to end it.",
    );
  }
  if (enabled) {
    await enableReadOnly(handle, {
      reason: `maintenance, switched on by ${actor.name}`,
      source: "maintenance",
      actorId: actor.id,
    });
  } else {
    await disableReadOnly(handle, { actorId: actor.id });
  }
  await recordAudit(handle.db, {
    actorId: actor.id,
    action: enabled ? "read_only.enable" : "read_only.disable",
    targetType: "instance",
    details: { source: "maintenance" },
  });
}
