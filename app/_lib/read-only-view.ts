import "server-only";
import type { DatabaseHandle } from "@/db/client";
import { movedTo } from "@/lib/migration";
import { readOnlyStatus } from "@/lib/read-only";

/** What every signed-in user's banner shows: the mode, why, and where to go if this instance moved. */
export interface ReadOnlyView {
  enabled: boolean;
  reason: string | null;
  moved: { cloudUrl: string | null; movedAt: string | null } | null;
}

export async function readOnlyView(handle: DatabaseHandle): Promise<ReadOnlyView> {
  const status = await readOnlyStatus(handle.db);
  const moved = status.enabled ? await movedTo({ handle }) : null;
  return {
    enabled: status.enabled,
    reason: status.reason,
    moved: moved && { cloudUrl: moved.cloudUrl, movedAt: moved.movedAt },
  };
}
