import { errorResponse } from "@/app/_lib/http";
import { channels, listen } from "@/lib/cluster/notify";
import { AppError } from "@/lib/errors";
import { eventsSince, getMigration, isTerminal } from "@/lib/migration";
import { getDatabaseHandle } from "@/lib/runtime";
import { requireAdminForRoute, parseId } from "../../route-helpers";

const heartbeatMs = 15_000;
// A safety net under NOTIFY: a missed notification costs at most this long.
const rereadMs = 5_000;

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
    const encoder = new TextEncoder();
    let close = () => {};

    const stream = new ReadableStream<Uint8Array>({
      async start(controller) {
        let closed = false;
        const write = (text: string) => {
          if (!closed) controller.enqueue(encoder.encode(text));
        };
        const publish = async () => {
          if (closed) return;
          for (const view of await eventsSince(handle.db, id, sent)) {
            sent = view.version;
            write(`id: ${view.version}\nevent: progress\ndata: ${JSON.stringify(view)}\n\n`);
          }
          const row = await getMigration(handle.db, id);
          if (row && isTerminal(row.state)) {
            write(`event: end\ndata: ${JSON.stringify({ state: row.state })}\n\n`);
            close();
          }
        };
        const unlisten = await listen(handle, channels.migration, (payload) => {
          if ((payload as { id?: number } | null)?.id === id) void publish().catch(() => close());
        });
        const heartbeat = setInterval(() => write(": heartbeat\n\n"), heartbeatMs);
        const reread = setInterval(() => void publish().catch(() => close()), rereadMs);
        close = () => {
          if (closed) return;
          closed = true;
          clearInterval(heartbeat);
          clearInterval(reread);
          void unlisten().catch(() => {});
          controller.close();
        };
        request.signal.addEventListener("abort", () => close());
        write("retry: 2000\n\n");
        await publish();
      },
      cancel() {
        close();
      },
    });
    return new Response(stream, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache, no-transform",
        connection: "keep-alive",
        "x-accel-buffering": "no",
      },
    });
  } catch (error) {
    return errorResponse(error);
  }
}
