import http from "node:http";
import type { AddressInfo } from "node:net";
import { peerAddressHeader } from "@/lib/auth/client-address";

export interface Served {
  url: string;
  close(): Promise<void>;
}

export interface ServeOptions {
  host?: string;
  /** 0: any free port. */
  port?: number;
  /**
   * The largest request body read; a longer one is refused with 413 before
   * it is buffered. The store's largest request (10,000 parts with their
   * ETags) fits well inside the default.
   */
  maxBodyBytes?: number;
}

class BodyTooLarge extends Error {}

async function readBody(req: http.IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > maxBytes) throw new BodyTooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new BodyTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function sendError(res: http.ServerResponse, status: number, code: string, message: string) {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify({ error: { code, message } }));
}

/**
 * Serves a web-standard `Request → Response` handler over plain HTTP: the
 * store's own server (`npm run store`), and tests' stand-ins for one.
 */
export async function serveFetchHandler(
  handle: (request: Request) => Promise<Response>,
  options: ServeOptions = {},
): Promise<Served> {
  const host = options.host ?? "127.0.0.1";
  const maxBodyBytes = options.maxBodyBytes ?? 2 * 1024 * 1024;
  const server = http.createServer((req, res) => {
    void (async () => {
      const hasBody = req.method !== "GET" && req.method !== "HEAD";
      const body = hasBody ? await readBody(req, maxBodyBytes) : undefined;
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === "string") headers.set(name, value);
      }
      // As scripts/server.mjs does: the socket's peer, never a value the client sent.
      headers.set(peerAddressHeader, req.socket.remoteAddress ?? "");
      const response = await handle(
        new Request(`http://${host}${req.url ?? "/"}`, {
          method: req.method,
          headers,
          body: body && new Uint8Array(body),
        }),
      );
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    })().catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
      } else if (error instanceof BodyTooLarge) {
        // The rest is read and discarded, never buffered, and the answer comes
        // at its end, so the client reads it instead of a reset; then the
        // connection closes. The server's own request timeout ends a sender
        // that never stops.
        res.setHeader("connection", "close");
        req.once("end", () =>
          sendError(res, 413, "invalid:body", "The request body is too large."),
        );
        req.resume();
      } else {
        // Details stay in the caller's log (the handler logs its own failures).
        sendError(res, 500, "internal", "Something went wrong on the store.");
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
