import http from "node:http";
import { forwardRequest, listenLocally } from "./forward";

export type Fault = "pass" | "error500" | "slowdown503" | "reset" | "stall" | "expired";

export interface ProxiedRequest {
  method: string;
  partNumber: number | null;
  fault: Fault;
}

export interface FaultProxy {
  url: string;
  requests: ProxiedRequest[];
  /** Highest number of PUTs in flight at once. */
  maxConcurrentPuts: number;
  /** Chooses the fate of each PUT (index counts PUTs in `requests`); other methods pass. */
  plan: (put: { partNumber: number | null; index: number }) => Fault;
  /** Added before forwarding each PUT, so a test can kill the uploader mid-way. */
  delayMs: number;
  close(): Promise<void>;
}

const xmlError = (code: string, message: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;

/**
 * An HTTP proxy on 127.0.0.1 between uploader and storage that injects the
 * failures object storage really produces: 500s, 503 SlowDown, connection
 * resets mid-body, stalled connections and expired presigned URLs.
 */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  let inFlight = 0;
  const proxy: FaultProxy = {
    url: "",
    requests: [],
    maxConcurrentPuts: 0,
    plan: () => "pass",
    delayMs: 0,
    close: () => Promise.resolve(),
  };

  const forward = (req: http.IncomingMessage, res: http.ServerResponse) =>
    forwardRequest(target, req, res);

  const answer = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    status: number,
    body: string,
  ) => {
    req.resume();
    req.on("end", () => res.writeHead(status, { "content-type": "application/xml" }).end(body));
  };

  const server = http.createServer((req, res) => {
    const partNumber = new URL(req.url ?? "/", "http://x").searchParams.get("partNumber");
    const isPut = req.method === "PUT";
    const fault = isPut
      ? proxy.plan({
          partNumber: partNumber ? Number(partNumber) : null,
          index: proxy.requests.filter((r) => r.method === "PUT").length,
        })
      : "pass";
    proxy.requests.push({
      method: req.method ?? "",
      partNumber: partNumber ? Number(partNumber) : null,
      fault,
    });
    if (isPut) {
      inFlight += 1;
      proxy.maxConcurrentPuts = Math.max(proxy.maxConcurrentPuts, inFlight);
      res.on("close", () => (inFlight -= 1));
    }
    switch (fault) {
      case "pass":
        if (isPut && proxy.delayMs > 0) setTimeout(() => forward(req, res), proxy.delayMs);
        else forward(req, res);
        return;
      case "error500":
        return answer(
          req,
          res,
          500,
          xmlError("InternalError", "We encountered an internal error."),
        );
      case "slowdown503":
        return answer(req, res, 503, xmlError("SlowDown", "Please reduce your request rate."));
      case "expired":
        return answer(req, res, 403, xmlError("AccessDenied", "Request has expired"));
      case "reset":
        // Take part of the body, then drop the connection without an answer.
        req.once("data", () => req.socket.destroy());
        return;
      case "stall":
        req.resume(); // read everything, answer never
        return;
    }
  });
  const listening = await listenLocally(server);
  proxy.url = listening.url;
  proxy.close = listening.close;
  return proxy;
}

/** A small seeded generator (mulberry32), so a failing fault run can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
