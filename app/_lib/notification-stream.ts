import "server-only";
import type { DatabaseHandle } from "@/db/client";
import { listen, type Channel } from "@/lib/cluster/notify";

const heartbeatMs = 15_000;
// A safety net under NOTIFY: a missed notification costs at most this long.
const rereadMs = 5_000;

export interface StreamWriter {
  send(event: string, data: unknown, id?: number): void;
  close(): void;
}

/**
 * Server-Sent Events driven by a NOTIFY channel, from any node: `publish`
 * runs at once, on every notification `relevant` accepts, and every few
 * seconds in case one was missed; heartbeats keep proxies from closing the
 * connection; everything stops when the client goes or `close` is called.
 */
export function notificationStream(
  request: Request,
  handle: DatabaseHandle,
  channel: Channel,
  publish: (writer: StreamWriter) => Promise<void>,
  relevant: (payload: unknown) => boolean = () => true,
): Response {
  const encoder = new TextEncoder();
  let close = () => {};
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      let closed = false;
      const write = (text: string) => {
        if (!closed) controller.enqueue(encoder.encode(text));
      };
      const writer: StreamWriter = {
        send: (event, data, id) =>
          write(
            `${id === undefined ? "" : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`,
          ),
        close: () => close(),
      };
      const run = () => void publish(writer).catch(() => close());
      const unlisten = await listen(handle, channel, (payload) => {
        if (relevant(payload)) run();
      });
      const heartbeat = setInterval(() => write(": heartbeat\n\n"), heartbeatMs);
      const reread = setInterval(run, rereadMs);
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
      await publish(writer);
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
}
