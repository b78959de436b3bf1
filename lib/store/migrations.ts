import { and, eq } from "drizzle-orm";
import { storeMigrations, type StoreMigration } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { log } from "@/lib/log";
import type { AbortedReply, StatusReply } from "@/lib/store-contract";
import type { StoreContext } from "./context";
import { withinOpenMigrations } from "./key-limits";
import { dropBaseCopy } from "./delta";
import { assertRestorable } from "./restorable";
import { issueMigrationToken, newExternalId } from "./token";

export interface CreateMigrationInput {
  appVersion: string;
  schemaMigrationId: string;
  instanceId: string;
  /** The migration key that opens it: its open-migrations limit applies. */
  keyId: number;
}

export interface UploadUrl {
  url: string;
  /** Signed into the URL: the PUT must carry exactly these. */
  headers: Record<string, string>;
  expiresAt: Date;
}

/** Between the upload and its outcome: a restore job is queued or running. */
export const unfinishedStates: readonly StoreMigration["state"][] = [
  "received",
  "verifying",
  "restoring",
];

export async function singleUploadUrl(ctx: StoreContext, m: StoreMigration): Promise<UploadUrl> {
  assertAwaitingUpload(m);
  // An instance that asks for one PUT has given up a multipart upload it had
  // begun (restarted before it recorded the upload id, or on a node that
  // sends this size in one piece): drop it, or `uploaded` would wait for a
  // `complete` that never comes.
  if (m.uploadId) {
    await ctx.storage.abortMultipart(m.objectKey, m.uploadId);
    await transition(ctx, m, { uploadId: null, uploadSize: null, partSize: null, partCount: null });
    log.info({ store_migration: m.externalId }, "open multipart upload dropped for a single PUT");
  }
  return {
    url: await ctx.storage.presignPut(m.objectKey, ctx.urlTtlSeconds),
    headers: ctx.storage.sseHeaders,
    expiresAt: new Date(Date.now() + ctx.urlTtlSeconds * 1000),
  };
}

/**
 * Checks the version first, so nothing is stored for a dump the cloud cannot
 * restore; then the key's open-migrations limit, in the insert's transaction.
 */
export async function createMigration(ctx: StoreContext, input: CreateMigrationInput) {
  assertRestorable(input, ctx.versions);
  const externalId = newExternalId();
  const { token, hash } = issueMigrationToken();
  const [row] = await withinOpenMigrations(ctx.db, input.keyId, (tx) =>
    tx
      .insert(storeMigrations)
      .values({
        externalId,
        instanceId: input.instanceId,
        keyId: input.keyId,
        appVersion: input.appVersion,
        schemaMigrationId: input.schemaMigrationId,
        tokenHash: hash,
        tokenExpiresAt: new Date(Date.now() + ctx.tokenTtlMs),
        objectKey: `migrations/${externalId}/dump.tar`,
      })
      .returning(),
  );
  if (!row) throw new Error("insert returned no row");
  log.info(
    { store_migration: externalId, instance: input.instanceId, store_key: input.keyId },
    "store migration created",
  );
  return {
    externalId,
    token,
    tokenExpiresAt: row.tokenExpiresAt,
    upload: await singleUploadUrl(ctx, row),
  };
}

export function assertAwaitingUpload(m: StoreMigration): void {
  if (m.state !== "awaiting_upload") {
    throw new AppError(
      "conflict",
      "state",
      `This migration is ${m.state.replace("_", " ")}; it takes no more uploads.`,
    );
  }
}

/** Moves a migration on only from the state it was read in: a concurrent change wins. */
export async function transition(
  ctx: StoreContext,
  m: Pick<StoreMigration, "id" | "state">,
  values: Partial<typeof storeMigrations.$inferInsert>,
): Promise<StoreMigration> {
  const [row] = await ctx.db
    .update(storeMigrations)
    .set(values)
    .where(and(eq(storeMigrations.id, m.id), eq(storeMigrations.state, m.state)))
    .returning();
  if (!row) {
    throw new AppError(
      "conflict",
      "state",
      "The migration changed meanwhile; read its status again.",
    );
  }
  return row;
}

/** `queuePosition`: its place in the restore line while it waits there, else null. */
export function migrationStatus(m: StoreMigration, queuePosition: number | null = null) {
  return {
    external_id: m.externalId,
    status: m.state,
    reason: m.failureReason,
    tables: m.tableCounts,
    upload_id: m.uploadId,
    part_size: m.partSize,
    part_count: m.partCount,
    delta_round: m.deltaRound,
    queue_position: queuePosition,
    created_at: m.createdAt.toISOString(),
    updated_at: m.updatedAt.toISOString(),
  } satisfies StatusReply;
}

/**
 * The instance gave up (cancel or unrecoverable failure): abort the
 * multipart upload and remove whatever object arrived. Only possible before
 * the archive was handed over for verification.
 */
export async function abortMigration(ctx: StoreContext, m: StoreMigration) {
  if (m.state === "aborted") return { status: m.state, multipart: "none" } satisfies AbortedReply;
  if (m.state === "base_restored") {
    // Given up between the base copy and the final delta: the copy is not
    // the source, and nobody may take it for one.
    await dropBaseCopy(ctx, m);
    const row = await transition(ctx, m, {
      state: "aborted",
      failureReason:
        "Aborted by the instance before its changes were copied; the partial copy was dropped.",
    });
    log.info({ store_migration: m.externalId }, "store migration aborted after its base copy");
    return { status: row.state, multipart: "none" } satisfies AbortedReply;
  }
  if (m.awaitsDelta && unfinishedStates.includes(m.state)) {
    // A base still being verified or restored: it will never be completed,
    // so it goes. The restore finds the migration aborted when it ends, and
    // drops what it restored (verify.ts).
    const row = await transition(ctx, m, {
      state: "aborted",
      failureReason:
        "Aborted by the instance while its base copy was being restored; the partial copy is dropped.",
    });
    await ctx.storage.deleteObject(m.objectKey).catch(() => {});
    log.info({ store_migration: m.externalId }, "store migration aborted during its base restore");
    return { status: row.state, multipart: "none" } satisfies AbortedReply;
  }
  assertAwaitingUpload(m);
  const multipart = m.uploadId
    ? await ctx.storage.abortMultipart(m.objectKey, m.uploadId)
    : ("none" as const);
  await ctx.storage.deleteObject(m.objectKey);
  const reason =
    multipart === "not_supported"
      ? "Aborted by the instance. The storage does not support AbortMultipartUpload; its lifecycle rule removes the parts."
      : "Aborted by the instance.";
  const row = await transition(ctx, m, { state: "aborted", failureReason: reason });
  log.info({ store_migration: m.externalId, multipart }, "store migration aborted");
  return { status: row.state, multipart } satisfies AbortedReply;
}
