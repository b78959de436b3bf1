import http from "node:http";
import { forwardRequest, listenLocally } from "./forward";

/**
 * What happens to one request on its way to the store's API: passed on,
 * dropped before the store sees it, answered 503 by a load balancer, or
 * carried out by the store with the answer lost on the way back (the case
 * that needs the store to accept the request again). The two holds keep the
 * caller waiting for ever, before or after the store acted, and call
 * `onHold`: a test kills the caller there, at an exact point.
 */
export type ApiFault =
  "pass" | "resetBefore" | "unavailable503" | "loseAnswer" | "holdBefore" | "holdAnswer";

export interface StoreApiProxy {
  url: string;
  /** Every request seen, as "METHOD /route-after-the-migration-id" with its fault. */
  requests: { call: string; fault: ApiFault }[];
  plan: (call: string, index: number) => ApiFault;
  /** Called when a request is held (see ApiFault). */
  onHold: (call: string) => void;
  close(): Promise<void>;
}

/**
 * Strips `/api/store/v1/migrations/<id>` so plans read like the client's
 * calls; creating a migration reads "POST /api/store/v1/migrations".
 */
function callName(method: string, url: string): string {
  const route = new URL(url, "http://x").pathname.replace(
    /^\/api\/store\/v1\/migrations\/[^/]+/,
    "",
  );
  return `${method} ${route || "/"}`;
}

/** An HTTP proxy on 127.0.0.1 in front of the store's API that loses requests and answers. */
export async function startStoreApiProxy(upstream: string): Promise<StoreApiProxy> {
  const target = new URL(upstream);
  const proxy: StoreApiProxy = {
    url: "",
    requests: [],
    plan: () => "pass",
    onHold: () => {},
    close: () => Promise.resolve(),
  };
  const server = http.createServer((req, res) => {
    const call = callName(req.method ?? "", req.url ?? "/");
    const index = proxy.requests.filter((r) => r.call === call).length;
    const fault = proxy.plan(call, index);
    proxy.requests.push({ call, fault });
    if (fault === "resetBefore") {
      req.socket.destroy();
      return;
    }
    if (fault === "unavailable503") {
      req.resume();
      req.on("end", () => res.writeHead(503).end("Service Unavailable"));
      return;
    }
    if (fault === "holdBefore") {
      req.resume();
      req.on("end", () => proxy.onHold(call));
      return;
    }
    forwardRequest(
      target,
      req,
      res,
      fault === "loseAnswer" || fault === "holdAnswer"
        ? (upstreamResponse) => {
            // The store did the work; the instance never hears of it.
            upstreamResponse.resume();
            upstreamResponse.on("end", () =>
              fault === "holdAnswer" ? proxy.onHold(call) : req.socket.destroy(),
            );
          }
        : undefined,
    );
  });
  const listening = await listenLocally(server);
  proxy.url = listening.url;
  proxy.close = listening.close;
  return proxy;
}
