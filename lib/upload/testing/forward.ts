import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Passes one request on to `target` and, unless `onAnswer` takes the answer
 * instead, its answer back. Shared by the test proxies that stand between
 * the instance and the storage or the store.
 */
export function forwardRequest(
  target: URL,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  onAnswer?: (upstreamResponse: http.IncomingMessage) => void,
): void {
  const upstreamRequest = http.request(
    {
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: req.headers,
    },
    (upstreamResponse) => {
      if (onAnswer) return onAnswer(upstreamResponse);
      res.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
      upstreamResponse.pipe(res);
    },
  );
  upstreamRequest.on("error", () => res.destroy());
  // A client that dies mid-body (kill -9) must not leave the upstream waiting.
  res.on("close", () => {
    if (!res.writableFinished) upstreamRequest.destroy();
  });
  req.pipe(upstreamRequest);
}

/** Starts a test proxy's server on a free port of 127.0.0.1: its URL, and a close that drops open connections. */
export async function listenLocally(
  server: http.Server,
): Promise<{ url: string; close: () => Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
