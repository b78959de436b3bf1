import type { StoreMigration } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { log } from "@/lib/log";
import type { CompletedReply, PartUrlsReply, StartedMultipartReply } from "@/lib/store-contract";
import type { StoreContext } from "./context";
import { reserveKeyBytes } from "./key-limits";
import { assertAwaitingUpload, transition } from "./migrations";
import { choosePartSize } from "./part-size";

export interface PartUrl {
  n: number;
  url: string;
}

async function presignParts(
  ctx: StoreContext,
  m: StoreMigration,
  uploadId: string,
  parts: number[],
) {
  const urls: PartUrl[] = [];
  for (const n of parts) {
    urls.push({
      n,
      url: await ctx.storage.presignPart(m.objectKey, uploadId, n, ctx.urlTtlSeconds),
    });
  }
  return {
    part_urls: urls,
    expires_at: new Date(Date.now() + ctx.urlTtlSeconds * 1000).toISOString(),
  } satisfies PartUrlsReply;
}

function assertUploadId(
  m: StoreMigration,
  uploadId: string,
): asserts m is StoreMigration & {
  uploadId: string;
  partCount: number;
} {
  if (!m.uploadId || m.partCount === null) {
    throw new AppError(
      "conflict",
      "upload_id",
      "No multipart upload is in progress for this migration.",
    );
  }
  if (m.uploadId !== uploadId) {
    throw new AppError(
      "conflict",
      "upload_id",
      "That upload id is not this migration's current upload.",
    );
  }
}

function assertPartNumbers(m: { partCount: number }, parts: number[]): void {
  const bad = parts.find((n) => !Number.isInteger(n) || n < 1 || n > m.partCount);
  if (bad !== undefined) {
    throw new AppError(
      "invalid",
      "part_number",
      `Part ${bad} is out of range: this upload has parts 1 to ${m.partCount}.`,
    );
  }
}

/**
 * Starts (or restarts, for a new archive) the multipart upload and presigns
 * every part. A previous unfinished upload of this migration is aborted first.
 */
export async function startMultipart(
  ctx: StoreContext,
  m: StoreMigration,
  input: { size: number; partSize?: number },
) {
  assertAwaitingUpload(m);
  const { partSize, partCount } = choosePartSize(input.size, input.partSize);
  await reserveKeyBytes(ctx.db, m, input.size);
  if (m.uploadId) await ctx.storage.abortMultipart(m.objectKey, m.uploadId);
  const uploadId = await ctx.storage.createMultipart(m.objectKey);
  const row = await transition(ctx, m, { uploadId, uploadSize: input.size, partSize, partCount });
  log.info({ store_migration: m.externalId, partSize, partCount }, "multipart upload started");
  const parts = Array.from({ length: partCount }, (_, i) => i + 1);
  return {
    upload_id: uploadId,
    part_size: partSize,
    part_count: partCount,
    ...(await presignParts(ctx, row, uploadId, parts)),
  } satisfies StartedMultipartReply;
}

/** Fresh URLs for parts whose URLs expired (or that a restarted uploader still needs). */
export async function reissuePartUrls(
  ctx: StoreContext,
  m: StoreMigration,
  input: { uploadId: string; parts: number[] },
) {
  assertAwaitingUpload(m);
  assertUploadId(m, input.uploadId);
  assertPartNumbers(m, input.parts);
  return presignParts(ctx, m, m.uploadId, [...new Set(input.parts)]);
}

/**
 * The part list must be exactly parts 1..N of this upload, each once; the
 * storage then checks every ETag against what it holds (S3 answers
 * InvalidPart). The archive's SHA-256, checked at `uploaded`, backs that up
 * on storages that do not check ETags.
 */
export async function completeMultipart(
  ctx: StoreContext,
  m: StoreMigration,
  input: { uploadId: string; parts: { n: number; etag: string }[] },
) {
  assertAwaitingUpload(m);
  // A repeated `complete` (its first answer lost on the way back) finds the
  // upload id spent and the object assembled: answer as the first time did.
  if (!m.uploadId && m.partCount !== null && m.uploadSize !== null) {
    const object = await ctx.storage.head(m.objectKey);
    if (object?.size === m.uploadSize)
      return { status: "completed", part_count: m.partCount } satisfies CompletedReply;
  }
  assertUploadId(m, input.uploadId);
  const numbers = input.parts.map((p) => p.n);
  assertPartNumbers(m, numbers);
  const seen = new Set<number>();
  for (const n of numbers) {
    if (seen.has(n)) throw new AppError("invalid", "parts", `Part ${n} is listed twice.`);
    seen.add(n);
  }
  const missing = Array.from({ length: m.partCount }, (_, i) => i + 1).filter((n) => !seen.has(n));
  if (missing.length) {
    throw new AppError(
      "invalid",
      "parts",
      `The part list does not match the upload: part${missing.length > 1 ? "s" : ""} ${missing.slice(0, 10).join(", ")} missing.`,
    );
  }
  const sorted = [...input.parts].sort((a, b) => a.n - b.n);
  await ctx.storage.completeMultipart(m.objectKey, m.uploadId, sorted);
  // The upload id is spent once the storage assembled the object.
  await transition(ctx, m, { uploadId: null });
  log.info({ store_migration: m.externalId, parts: sorted.length }, "multipart upload completed");
  return { status: "completed", part_count: sorted.length } satisfies CompletedReply;
}
