import http from "node:http";
import type { AddressInfo } from "node:net";
import { peerAddressHeader } from "@/lib/auth/client-address";

export interface Served {
  url: string;
  close(): Promise<void>;
}

/** Runs a web-standard `Request → Response` handler on 127.0.0.1, as Next would. */
export async function serveFetchHandler(
  handle: (request: Request) => Promise<Response>,
): Promise<Served> {
  const server = http.createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === "string") headers.set(name, value);
      }
      // As scripts/server.mjs does: the socket's peer, never a value the client sent.
      headers.set(peerAddressHeader, req.socket.remoteAddress ?? "");
      const hasBody = req.method !== "GET" && req.method !== "HEAD";
      const response = await handle(
        new Request(`http://127.0.0.1${req.url ?? "/"}`, {
          method: req.method,
          headers,
          body: hasBody ? Buffer.concat(chunks) : undefined,
        }),
      );
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    })().catch((error: unknown) => {
      res.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
