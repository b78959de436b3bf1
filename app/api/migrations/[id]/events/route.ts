import { errorResponse } from "@/app/_lib/http";
import { notificationStream } from "@/app/_lib/notification-stream";
import { channels } from "@/lib/cluster/notify";
import { AppError } from "@/lib/errors";
import { eventsSince, getMigration, isTerminal } from "@/lib/migration";
import { getDatabaseHandle } from "@/lib/runtime";
import { requireAdminForRoute, parseId } from "../../route-helpers";

/**
 * Server-Sent Events for one migration, from any node: the current state at
 * once (or every change after Last-Event-ID), then every change announced by
 * NOTIFY, read from the event log so none is skipped when notifications
 * coalesce, heartbeats, and one final `end` event on a terminal state. The
 * event id is the row's version.
 */
export async function GET(
  request: Request,
  { params }: { params: Promise<{ id: string }> },
): Promise<Response> {
  try {
    await requireAdminForRoute();
    const id = parseId((await params).id);
    const handle = await getDatabaseHandle();
    const first = await getMigration(handle.db, id);
    if (!first) throw new AppError("not_found", "migration", "No such migration.");
    // Last-Event-ID (a reconnect) or ?since= (a page that just started it)
    // replays every change after it; without either, the stream starts now.
    const since =
      request.headers.get("last-event-id") ?? new URL(request.url).searchParams.get("since");
    const sinceVersion = since === null ? null : Number(since);
    if (sinceVersion !== null && (!Number.isSafeInteger(sinceVersion) || sinceVersion < 0)) {
      throw new AppError("invalid", "last_event_id", "Last-Event-ID must be a whole number.");
    }
    let sent = sinceVersion ?? first.version - 1;
    return notificationStream(
      request,
      handle,
      channels.migration,
      async (writer) => {
        for (const view of await eventsSince(handle.db, id, sent)) {
          sent = view.version;
          writer.send("progress", view, view.version);
        }
        const row = await getMigration(handle.db, id);
        if (row && isTerminal(row.state)) {
          writer.send("end", { state: row.state });
          writer.close();
        }
      },
      (payload) => (payload as { id?: number } | null)?.id === id,
    );
  } catch (error) {
    return errorResponse(error);
  }
}
