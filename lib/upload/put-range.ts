import fs from "node:fs";
import http from "node:http";
import https from "node:https";

/** Keep-alive pools per protocol, sized to the upload's concurrency. */
export interface Agents {
  http: http.Agent;
  https: https.Agent;
}

export interface PutResult {
  status: number;
  etag: string | undefined;
  /** The start of the body, enough for S3's error code and message. */
  body: string;
}

/** No byte moved on the socket for this long: a stalled connection, retried. */
export class StallError extends Error {
  readonly code = "ESTALLED";
  constructor(ms: number) {
    super(`no progress for ${ms} ms`);
  }
}

/**
 * PUTs bytes [start, end] of a file, streamed from disk (never buffered
 * whole), to a presigned URL with the headers it was signed with.
 */
export function putFileRange(options: {
  url: string;
  headers: Record<string, string>;
  file: string;
  start: number;
  end: number;
  signal: AbortSignal;
  stallMs: number;
  agents?: Agents;
}): Promise<PutResult> {
  return new Promise((resolve, reject) => {
    const url = new URL(options.url);
    const send = url.protocol === "https:" ? https.request : http.request;
    const length = options.end - options.start + 1;
    const request = send(url, {
      method: "PUT",
      headers: { ...options.headers, "content-length": String(length) },
      signal: options.signal,
      agent: url.protocol === "https:" ? options.agents?.https : options.agents?.http,
    });
    request.setTimeout(options.stallMs, () => request.destroy(new StallError(options.stallMs)));
    request.on("error", reject);
    request.on("response", (response) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      response.on("data", (chunk: Buffer) => {
        if (kept < 8192) chunks.push(chunk);
        kept += chunk.length;
      });
      response.on("error", reject);
      response.on("end", () => {
        const etag = response.headers.etag;
        resolve({
          status: response.statusCode ?? 0,
          etag: typeof etag === "string" ? etag : undefined,
          body: Buffer.concat(chunks).toString("utf8").slice(0, 8192),
        });
      });
    });
    if (length === 0) {
      request.end();
      return;
    }
    const source = fs.createReadStream(options.file, { start: options.start, end: options.end });
    source.on("error", (error) => request.destroy(error));
    source.pipe(request);
  });
}
