import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import type { DeltaAppliedReply } from "@/lib/store-contract";
import { UploadError } from "./errors";
import { sha256OfFile } from "./hash-file";
import { putWithRetry } from "./put-with-retry";
import { defaultRetryPolicy, type RetryPolicy } from "./retry";
import type { StoreClient } from "./store-client";

/** S3's largest single PUT: a delta is the changes of minutes, far below it. */
const maxDeltaBytes = 5 * 1024 * 1024 * 1024;

/**
 * Sends one delta archive and has the store apply it: one PUT (retried, its
 * URL renewed when it expires), then `delta`, which answers once the copy
 * has it. Sending it again is safe: the store applies a round once and
 * answers a repeat as it answered the first.
 */
export async function uploadDelta(options: {
  store: StoreClient;
  file: string;
  round: number;
  signal?: AbortSignal;
  retry?: RetryPolicy;
}): Promise<DeltaAppliedReply> {
  const size = fs.statSync(options.file).size;
  if (size > maxDeltaBytes) {
    throw new UploadError(
      `The delta of round ${options.round} is ${size} bytes, more than one upload takes: too many changes while copying.`,
    );
  }
  const sha256 = await sha256OfFile(options.file);
  const signal = options.signal ?? new AbortController().signal;
  const store = options.store.withSignal(signal);
  const renew = async () => {
    const reply = await store.deltaUploadUrl(options.round);
    return {
      url: reply.upload_url,
      headers: reply.upload_headers,
      expiresAt: new Date(reply.expires_at),
    };
  };
  const agents = {
    http: new http.Agent({ keepAlive: false }),
    https: new https.Agent({ keepAlive: false }),
  };
  await putWithRetry(await renew(), {
    label: `The delta of round ${options.round}`,
    file: options.file,
    start: 0,
    end: size - 1,
    policy: options.retry ?? defaultRetryPolicy,
    signal,
    stallMs: 60_000,
    expiryMarginMs: 30_000,
    agents,
    reissue: renew,
  });
  return store.applyDelta(options.round, sha256, size);
}
