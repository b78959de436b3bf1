import http from "node:http";

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
