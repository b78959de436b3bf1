import type { Database } from "@/db/client";
import { log } from "@/lib/log";
import { UploadError } from "./errors";
import {
  loadParts,
  loadUpload,
  markCompleted,
  savePart,
  saveUpload,
  type SavedUpload,
} from "./parts-repo";
import type { ProgressTracker } from "./progress";
import type { Agents } from "./put-range";
import { putWithRetry } from "./put-with-retry";
import type { RetryPolicy } from "./retry";
import { StoreRequestError, type StoreClient } from "./store-client";

export interface MultipartJob {
  db: Database;
  migrationId: number;
  store: StoreClient;
  file: string;
  size: number;
  sha256: string;
  partSize?: number;
  concurrency: number;
  policy: RetryPolicy;
  stallMs: number;
  expiryMarginMs: number;
  signal: AbortSignal;
  agents: Agents;
  /** Fails the whole upload at once: the other workers stop their parts. */
  stop: (reason: unknown) => void;
  onPart?: (n: number) => void;
  tracker: (partsTotal: number) => ProgressTracker;
}

type Urls = Map<number, { url: string; expiresAt: Date }>;

function fill(urls: Urls, reply: { part_urls: { n: number; url: string }[]; expires_at: string }) {
  for (const part of reply.part_urls)
    urls.set(part.n, { url: part.url, expiresAt: new Date(reply.expires_at) });
}

/** Continues the saved upload when the archive is unchanged and the store still knows it. */
async function resumeOrStart(job: MultipartJob, urls: Urls): Promise<SavedUpload> {
  const saved = await loadUpload(job.db, job.migrationId);
  if (saved && saved.archiveSha256 === job.sha256 && saved.archiveSize === job.size) {
    if (saved.completedAt) return saved;
    const done = new Set((await loadParts(job.db, job.migrationId)).map((p) => p.n));
    const missing = Array.from({ length: saved.partCount }, (_, i) => i + 1).filter(
      (n) => !done.has(n),
    );
    try {
      if (missing.length) fill(urls, await job.store.partUrls(saved.uploadId, missing));
      log.info(
        { migration: job.migrationId, done: done.size, missing: missing.length },
        "resuming multipart upload",
      );
      return saved;
    } catch (error) {
      if (!(error instanceof StoreRequestError && error.status === 409)) throw error;
      log.warn(
        { migration: job.migrationId },
        "the store no longer knows the saved upload; starting over",
      );
    }
  }
  const started = await job.store.startMultipart(job.size, job.partSize);
  const upload = {
    migrationId: job.migrationId,
    uploadId: started.upload_id,
    archiveSha256: job.sha256,
    archiveSize: job.size,
    partSize: started.part_size,
    partCount: started.part_count,
  };
  await saveUpload(job.db, upload);
  fill(urls, started);
  return { ...upload, completedAt: null, createdAt: new Date() };
}

/** Uploads the missing parts in parallel (bounded), then completes. Returns parts sent. */
export async function uploadMultipart(
  job: MultipartJob,
): Promise<{ sent: number; resumed: number }> {
  const urls: Urls = new Map();
  const upload = await resumeOrStart(job, urls);
  const tracker = job.tracker(upload.partCount);
  const done = await loadParts(job.db, job.migrationId);
  tracker.resumed(
    done.reduce((sum, p) => sum + p.size, 0),
    done.length,
  );
  if (upload.completedAt) return { sent: 0, resumed: done.length };
  const queue = [...urls.keys()].sort((a, b) => a - b);
  let sent = 0;

  const worker = async () => {
    for (let n = queue.shift(); n !== undefined && !job.signal.aborted; n = queue.shift()) {
      const start = (n - 1) * upload.partSize;
      const end = Math.min(job.size, n * upload.partSize) - 1;
      const partNumber = n;
      const first = urls.get(n);
      if (!first) throw new Error(`no URL for part ${n}`);
      const result = await putWithRetry(
        { ...first, headers: {} },
        {
          label: `Part ${n} of ${upload.partCount}`,
          file: job.file,
          start,
          end,
          policy: job.policy,
          signal: job.signal,
          stallMs: job.stallMs,
          expiryMarginMs: job.expiryMarginMs,
          agents: job.agents,
          reissue: async () => {
            const reply = await job.store.partUrls(upload.uploadId, [partNumber]);
            const url = reply.part_urls[0]?.url;
            if (!url) throw new UploadError(`The store re-issued no URL for part ${partNumber}.`);
            return { url, headers: {}, expiresAt: new Date(reply.expires_at) };
          },
        },
      );
      if (!result.etag)
        throw new UploadError(`The storage acknowledged part ${n} without an ETag.`);
      await savePart(job.db, job.migrationId, { n, etag: result.etag, size: end - start + 1 });
      sent += 1;
      tracker.acknowledge(end - start + 1);
      job.onPart?.(n);
    }
  };
  const workers = Array.from({ length: Math.min(job.concurrency, queue.length) }, () =>
    worker().catch((error: unknown) => {
      job.stop(error);
      throw error;
    }),
  );
  const results = await Promise.allSettled(workers);
  const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  // The abort reason is the first real failure (or the cancel), not a sibling's AbortError.
  if (job.signal.aborted) throw job.signal.reason;
  if (failure) throw failure.reason;

  const parts = await loadParts(job.db, job.migrationId);
  if (parts.length !== upload.partCount) {
    throw new UploadError(`Only ${parts.length} of ${upload.partCount} parts were recorded.`);
  }
  await job.store.complete(
    upload.uploadId,
    parts.map((p) => ({ n: p.n, etag: p.etag })),
  );
  await markCompleted(job.db, job.migrationId);
  return { sent, resumed: done.length };
}
