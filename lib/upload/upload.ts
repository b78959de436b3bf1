import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import type { Database } from "@/db/client";
import { log } from "@/lib/log";
import { publicUploadCause, UploadError } from "./errors";
import { sha256OfFile } from "./hash-file";
import { uploadMultipart } from "./multipart";
import { forgetUpload, loadUpload } from "./parts-repo";
import { ProgressTracker, type UploadProgress } from "./progress";
import { putWithRetry, type PresignedTarget } from "./put-with-retry";
import { defaultRetryPolicy, type RetryPolicy } from "./retry";
import { isStateConflict, type StoreClient } from "./store-client";

export interface UploadOptions {
  db: Database;
  /** The instance's `cloud_migration` row: parts are recorded against it. */
  migrationId: number;
  store: StoreClient;
  file: string;
  /** The archive's SHA-256 if the dump already computed it. */
  sha256?: string;
  /** At or above this size the upload goes multipart. */
  multipartThreshold?: number;
  concurrency?: number;
  /** A wish; the store decides (≥ 5 MiB, ≤ 10,000 parts). */
  partSize?: number;
  retry?: RetryPolicy;
  stallMs?: number;
  expiryMarginMs?: number;
  /** The single-PUT URL from creating the migration, if still at hand. */
  singleUpload?: PresignedTarget;
  onProgress?: (progress: UploadProgress) => void;
  onPart?: (n: number) => void;
  signal?: AbortSignal;
  /** The archive is a base copy: deltas follow it. */
  base?: boolean;
}

export interface UploadOutcome {
  mode: "single" | "multipart";
  size: number;
  sha256: string;
  partsSent: number;
  partsResumed: number;
}

export const defaultMultipartThreshold = 100 * 1000 * 1000;

/**
 * Sends the archive to the store's object storage and declares it uploaded.
 * Any failure other than a crash (and any cancel) aborts the upload on the
 * store, so no half upload is left behind; after a crash the saved parts let
 * the next run continue.
 */
export async function uploadArchive(options: UploadOptions): Promise<UploadOutcome> {
  const size = fs.statSync(options.file).size;
  const sha256 = options.sha256 ?? (await sha256OfFile(options.file));
  const concurrency = options.concurrency ?? 4;
  const internal = new AbortController();
  const signal = options.signal
    ? AbortSignal.any([options.signal, internal.signal])
    : internal.signal;
  const agents = {
    http: new http.Agent({ keepAlive: true, maxSockets: concurrency }),
    https: new https.Agent({ keepAlive: true, maxSockets: concurrency }),
  };
  const common = {
    policy: options.retry ?? defaultRetryPolicy,
    signal,
    stallMs: options.stallMs ?? 60_000,
    expiryMarginMs: options.expiryMarginMs ?? 30_000,
    agents,
  };
  const context = { migration: options.migrationId, store_migration: options.store.externalId };
  // The upload's own calls end with it (a cancel does not wait out a backoff);
  // the abort below goes through the unbound client, since it must still be sent.
  const store = options.store.withSignal(signal);
  try {
    let outcome: UploadOutcome;
    // An upload goes on as it began: a multipart upload started before a
    // restart is continued even if this node's threshold would send the
    // archive in one PUT (the store would refuse "uploaded" with the
    // multipart upload still open).
    const saved = await loadUpload(options.db, options.migrationId);
    const continuesMultipart = saved?.archiveSha256 === sha256 && saved.archiveSize === size;
    if (!continuesMultipart && size < (options.multipartThreshold ?? defaultMultipartThreshold)) {
      const tracker = new ProgressTracker(size, 1, options.onProgress);
      const renew = async () => {
        const reply = await store.singleUploadUrl();
        return {
          url: reply.upload_url,
          headers: reply.upload_headers,
          expiresAt: new Date(reply.expires_at),
        };
      };
      await putWithRetry(options.singleUpload ?? (await renew()), {
        ...common,
        label: "The archive",
        file: options.file,
        start: 0,
        end: size - 1,
        reissue: renew,
      });
      tracker.acknowledge(size);
      outcome = { mode: "single", size, sha256, partsSent: 1, partsResumed: 0 };
    } else {
      const { sent, resumed } = await uploadMultipart({
        ...common,
        db: options.db,
        migrationId: options.migrationId,
        store,
        file: options.file,
        size,
        sha256,
        partSize: options.partSize,
        concurrency,
        stop: (reason) => internal.abort(reason),
        onPart: options.onPart,
        tracker: (parts) => new ProgressTracker(size, parts, options.onProgress),
      });
      outcome = { mode: "multipart", size, sha256, partsSent: sent, partsResumed: resumed };
    }
    await store.uploaded(sha256, size, options.base ?? false);
    await forgetUpload(options.db, options.migrationId);
    log.info({ ...context, ...outcome }, "archive uploaded");
    return outcome;
  } catch (error) {
    internal.abort(error);
    // The store is past the upload (it has the archive, or ended the
    // migration): nothing to abort here, and the caller follows its status.
    if (isStateConflict(error)) {
      await forgetUpload(options.db, options.migrationId).catch(() => {});
      throw error;
    }
    const cancelled = options.signal?.aborted ?? false;
    try {
      const aborted = await options.store.abort();
      log.warn(
        { ...context, cancelled, multipart: aborted.multipart },
        "upload aborted on the store",
      );
    } catch (abortError) {
      log.error({ ...context, err: abortError }, "could not abort the upload on the store");
    }
    await forgetUpload(options.db, options.migrationId).catch(() => {});
    if (cancelled) throw new UploadError("The upload was cancelled.", { cause: error, cancelled });
    throw new UploadError(`The upload failed: ${publicUploadCause(error)}`, { cause: error });
  } finally {
    agents.http.destroy();
    agents.https.destroy();
  }
}
