import { errorResponse } from "@/app/_lib/http";
import { notificationStream } from "@/app/_lib/notification-stream";
import { channels } from "@/lib/cluster/notify";
import { recentMigrations } from "@/lib/migration";
import { getDatabaseHandle } from "@/lib/runtime";
import { requireAdminForRoute } from "../route-helpers";

/**
 * For an open settings page, admins only: the latest migration's id and
 * state at once and whenever it changes on any node, so a migration started
 * in another tab or on another node appears without a reload.
 */
export async function GET(request: Request): Promise<Response> {
  try {
    await requireAdminForRoute();
    const handle = await getDatabaseHandle();
    let last = "";
    return notificationStream(request, handle, channels.migration, async (writer) => {
      const [latest] = await recentMigrations(handle.db, 1);
      const view = latest ? { id: latest.id, state: latest.state } : null;
      const text = JSON.stringify(view);
      if (text === last) return;
      last = text;
      writer.send("latest", view);
    });
  } catch (error) {
    return errorResponse(error);
  }
}
