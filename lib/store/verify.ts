import fs from "node:fs";
import path from "node:path";
import { and, eq, ne } from "drizzle-orm";
import { storeMigrations, type StoreMigration } from "@/db/schema";
import { AppError, publicFailureMessage } from "@/lib/errors";
import { log } from "@/lib/log";
import type { UploadedReply } from "@/lib/store-contract";
import type { StoreContext } from "./context";
import { reserveKeyBytes } from "./key-limits";
import { assertAwaitingUpload, transition, unfinishedStates } from "./migrations";
import type { RestoreTarget } from "./targets";

function targetName(target: RestoreTarget): string {
  return target.engine === "postgres" ? target.database : target.dir;
}

/**
 * The instance says the archive is complete. The size is checked at once
 * (a HEAD); the SHA-256 needs the whole object, so verification and restore
 * run in the background and the instance follows them with GET.
 */
export async function markUploaded(
  ctx: StoreContext,
  m: StoreMigration,
  input: { sha256: string; size: number; base?: boolean },
) {
  // A repeated `uploaded` for the same archive (the first answer lost on the
  // way back) gets the state the first one led to, not a conflict.
  const repeated =
    m.state !== "awaiting_upload" &&
    m.declaredSha256 === input.sha256 &&
    m.declaredSize === input.size;
  if (repeated) {
    // Heals a restore whose job was lost between the state change and the enqueue; a no-op otherwise.
    if (unfinishedStates.includes(m.state)) await ctx.restores.enqueue(m.externalId);
    return { status: m.state } satisfies UploadedReply;
  }
  assertAwaitingUpload(m);
  if (m.uploadId) {
    throw new AppError(
      "conflict",
      "upload_id",
      "Complete the multipart upload before declaring it uploaded.",
    );
  }
  // A single PUT's size is first told here: the key's bytes are checked before any work.
  await reserveKeyBytes(ctx.db, m, input.size);
  const object = await ctx.storage.head(m.objectKey);
  if (!object) {
    throw new AppError(
      "conflict",
      "object",
      "No archive has been uploaded for this migration yet.",
    );
  }
  if (object.size !== input.size) {
    const reason = `The uploaded archive has ${object.size} bytes, the instance declared ${input.size}.`;
    await transition(ctx, m, {
      state: "failed",
      failureReason: reason,
      declaredSize: input.size,
      declaredSha256: input.sha256,
    });
    throw new AppError("unprocessable", "size_mismatch", reason);
  }
  const row = await transition(ctx, m, {
    state: "received",
    declaredSha256: input.sha256,
    declaredSize: input.size,
    awaitsDelta: input.base === true,
  });
  await ctx.restores.enqueue(row.externalId);
  return { status: row.state } satisfies UploadedReply;
}

export async function fail(ctx: StoreContext, id: number, reason: string): Promise<void> {
  // An abort that came first stands: the instance gave the migration up.
  await ctx.db
    .update(storeMigrations)
    .set({ state: "failed", failureReason: reason })
    .where(and(eq(storeMigrations.id, id), ne(storeMigrations.state, "aborted")));
  log.warn({ store_migration_id: id, reason }, "store migration failed");
}

/**
 * received → verifying → restoring → restored, or failed with the reason.
 * Throws only when `signal` aborts (the store is stopping): the migration is
 * then left as it is, for the queue to run it again from an empty target.
 */
export async function verifyAndRestore(
  ctx: StoreContext,
  received: StoreMigration,
  signal?: AbortSignal,
): Promise<void> {
  const archive = path.join(ctx.workDir, `${received.externalId}.tar`);
  let target: RestoreTarget | undefined;
  try {
    fs.mkdirSync(ctx.workDir, { recursive: true });
    const verifying = await transition(ctx, received, { state: "verifying" });
    const actual = await ctx.storage.download(verifying.objectKey, archive);
    signal?.throwIfAborted();
    if (actual.size !== verifying.declaredSize || actual.sha256 !== verifying.declaredSha256) {
      await fail(
        ctx,
        verifying.id,
        `Checksum mismatch: the archive's SHA-256 is ${actual.sha256} (${actual.size} bytes), the instance declared ${verifying.declaredSha256} (${verifying.declaredSize} bytes). Nothing was restored.`,
      );
      return;
    }
    const restoring = await transition(ctx, verifying, { state: "restoring" });
    target = await ctx.targets.create(restoring.externalId);
    const { tables } = await ctx.restorer(archive, target, {
      maxTextBytes: ctx.maxRestoreBytes,
    });
    signal?.throwIfAborted();
    await transition(ctx, restoring, {
      // A base copy waits for its deltas: not the source's copy yet.
      state: restoring.awaitsDelta ? "base_restored" : "restored",
      tableCounts: tables,
      targetDatabase: targetName(target),
    });
    log.info({ store_migration: received.externalId, tables }, "store migration restored");
  } catch (error) {
    if (signal?.aborted) {
      // Not a failure of the archive. The target stays: the next attempt drops it first.
      log.warn({ store_migration: received.externalId }, "restore cut short by a store stop");
      throw error;
    }
    log.error({ store_migration: received.externalId, err: error }, "verify or restore failed");
    if (target) await ctx.targets.drop(target).catch(() => {});
    const message = publicFailureMessage(error, "The restore").replace(/\.$/, "");
    await fail(ctx, received.id, `Restore failed: ${message}. Nothing was restored.`).catch(
      () => {},
    );
  } finally {
    fs.rmSync(archive, { force: true });
  }
}
