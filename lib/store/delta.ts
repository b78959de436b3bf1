import fs from "node:fs";
import path from "node:path";
import { openDatabase } from "@/db/client";
import type { StoreMigration } from "@/db/schema";
import { applyDeltaArchive } from "@/lib/dump/delta/apply";
import { ArchiveRefusal } from "@/lib/dump/format/errors";
import { AppError, publicFailureMessage } from "@/lib/errors";
import { log } from "@/lib/log";
import type { DeltaAppliedReply } from "@/lib/store-contract";
import type { StoreContext } from "./context";
import { transition, type UploadUrl } from "./migrations";

/**
 * Deltas: after a base copy is restored (`base_restored`), the instance
 * sends what changed since, one round at a time, the last one with writes
 * frozen. Each is uploaded beside the base (one PUT: a delta is the changes
 * of minutes, not the data) and applied at once, in the request, in one
 * transaction on the copy (see lib/dump/delta/apply.ts): the read-only
 * window is this request, so no queue sits in it.
 */

const deltaObjectKey = (m: StoreMigration, round: number) => `${m.objectKey}.delta-${round}`;

function assertNextRound(m: StoreMigration, round: number): void {
  if (m.state !== "base_restored") {
    throw new AppError(
      "conflict",
      "state",
      `This migration is ${m.state.replace("_", " ")}; it takes deltas only once its base copy is restored.`,
    );
  }
  if (round !== m.deltaRound + 1) {
    throw new AppError(
      "conflict",
      "delta_round",
      `The copy has applied ${m.deltaRound} delta${m.deltaRound === 1 ? "" : "s"}: the next is round ${m.deltaRound + 1}, not ${round}.`,
    );
  }
}

export async function deltaUploadUrl(
  ctx: StoreContext,
  m: StoreMigration,
  round: number,
): Promise<UploadUrl> {
  assertNextRound(m, round);
  return {
    url: await ctx.storage.presignPut(deltaObjectKey(m, round), ctx.urlTtlSeconds),
    headers: ctx.storage.sseHeaders,
    expiresAt: new Date(Date.now() + ctx.urlTtlSeconds * 1000),
  };
}

/**
 * Checks the uploaded delta against what the instance declares and applies
 * it. A round already applied is answered as it was (the first reply was
 * lost): applying is idempotent, but the row says it is done. A delta the
 * copy refuses (a digest that does not match, a damaged archive) fails the
 * migration and drops the copy: a copy that is not the source is no copy.
 */
export async function applyDelta(
  ctx: StoreContext,
  m: StoreMigration,
  input: { round: number; sha256: string; size: number },
): Promise<DeltaAppliedReply> {
  if (input.round <= m.deltaRound && (m.state === "base_restored" || m.state === "restored")) {
    return { status: m.state, round: m.deltaRound, tables: m.tableCounts };
  }
  assertNextRound(m, input.round);
  const key = deltaObjectKey(m, input.round);
  const file = path.join(ctx.workDir, `${m.externalId}.delta-${input.round}.tar`);
  fs.mkdirSync(ctx.workDir, { recursive: true });
  try {
    const object = await ctx.storage.head(key);
    if (!object) {
      throw new AppError(
        "conflict",
        "object",
        `No delta has been uploaded for round ${input.round}.`,
      );
    }
    const actual = await ctx.storage.download(key, file);
    if (actual.size !== input.size || actual.sha256 !== input.sha256) {
      throw new AppError(
        "unprocessable",
        "checksum_mismatch",
        `The uploaded delta's SHA-256 is ${actual.sha256} (${actual.size} bytes), the instance declared ${input.sha256} (${input.size} bytes). Upload it again.`,
      );
    }
    const target = ctx.targets.locate(m.externalId);
    const handle = await openDatabase(
      target.engine === "postgres"
        ? { databaseUrl: target.url, maxConnections: 2 }
        : { pgliteDir: target.dir },
    );
    let applied;
    try {
      applied = await applyDeltaArchive(handle, file, {
        sealingKey: ctx.keys.sealing,
        instanceKey: ctx.keys.cloudCopy,
        maxTextBytes: ctx.maxRestoreBytes,
      });
    } catch (error) {
      if (error instanceof ArchiveRefusal) {
        await failWithCopy(ctx, m, `Delta ${input.round} refused: ${error.message}`);
        throw new AppError("unprocessable", `delta_${error.code}`, error.message);
      }
      throw error;
    } finally {
      await handle.close();
    }
    const row = await transition(ctx, m, {
      deltaRound: input.round,
      ...(applied.final ? { state: "restored", tableCounts: applied.tables } : {}),
    });
    log.info(
      { store_migration: m.externalId, round: input.round, final: applied.final },
      "store delta applied",
    );
    await ctx.storage.deleteObject(key).catch(() => {});
    return { status: row.state, round: row.deltaRound, tables: row.tableCounts };
  } catch (error) {
    if (error instanceof AppError) throw error;
    log.error({ store_migration: m.externalId, err: error }, "delta failed");
    throw new AppError(
      "upstream",
      "delta_failed",
      `${publicFailureMessage(error, "Applying the delta").replace(/\.$/, "")}. The copy is as it was before this delta; send it again.`,
    );
  } finally {
    fs.rmSync(file, { force: true });
  }
}

/** Fails the migration and drops its copy: what a refused delta leaves behind. */
async function failWithCopy(ctx: StoreContext, m: StoreMigration, reason: string): Promise<void> {
  await transition(ctx, m, { state: "failed", failureReason: reason });
  await ctx.targets.drop(ctx.targets.locate(m.externalId)).catch((error: unknown) => {
    log.warn({ store_migration: m.externalId, err: error }, "could not drop a refused copy");
  });
}

/** An instance that gives up after its base copy was restored: the copy goes. */
export async function dropBaseCopy(ctx: StoreContext, m: StoreMigration): Promise<void> {
  await ctx.targets.drop(ctx.targets.locate(m.externalId));
  await ctx.storage.deleteObject(m.objectKey).catch(() => {});
}
