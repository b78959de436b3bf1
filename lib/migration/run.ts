import fs from "node:fs";
import path from "node:path";
import type { SecretOptions } from "@/lib/dump/secrets";
import { changesSince } from "@/lib/dump/delta/capture";
import { writeDumpArchive } from "@/lib/dump/write/write";
import { channels, listen } from "@/lib/cluster/notify";
import { AppError, publicFailureMessage, systemErrorCode } from "@/lib/errors";
import { log } from "@/lib/log";
import { disableReadOnly, enableReadOnly } from "@/lib/read-only";
import { pauseScheduler, resumeScheduler } from "@/lib/scheduler";
import { sealForStore } from "@/lib/secrets/sealed-box";
import { instanceId } from "@/lib/settings";
import {
  isStateConflict,
  publicUploadCause,
  sha256OfFile,
  StoreClient,
  StoreRequestError,
  uploadArchive,
  uploadDelta,
} from "@/lib/upload";
import { cleanUpMigration } from "./cleanup";
import { storeClientFor } from "./cloud-copy";
import { followStore, type CloudVerdict } from "./cloud-verdict";
import { settleCutOver } from "./cut-over";
import { migrationSource } from "./holds";
import { archivePathFor, type DeltaReport, type MigrationContext } from "./context";
import { ProgressWriter } from "./progress-writer";
import { getMigration, updateMigration, type MigrationRow } from "./row";
import { isTerminal, progressFor } from "./states";
import { captureQuery, copiedRowsEstimate, frozenDigestSpecs, installCapture } from "./capture";

/** Thrown inside the run when the row ended elsewhere (a cancel): not an error. */
class MigrationGone extends Error {}

// Migrations this process is running, and when each run has fully ended
// (clean-up included), so that a cancel can wait for it.
const running = globalThis as unknown as { liftoffMigrations?: Map<number, Promise<void>> };
const runningHere = () => (running.liftoffMigrations ??= new Map<number, Promise<void>>());

export function isRunningHere(id: number): boolean {
  return runningHere().has(id);
}

/** Resolves when this process's run of `id` has ended and cleaned up (at once if none). */
export async function runEnded(id: number, timeoutMs: number): Promise<void> {
  const run = runningHere().get(id);
  if (!run) return;
  await Promise.race([run, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
}

/**
 * Runs a migration from where its row stands: from `init` all the way, or
 * from `upload` after a restart (the archive on disk was checked). Every
 * transition is a conditional update; when one matches nothing, the
 * migration was cancelled and the run stops. Whatever the ending, the clean-up
 * runs.
 */
export function runMigration(context: MigrationContext, id: number): Promise<void> {
  const existing = runningHere().get(id);
  if (existing) return existing;
  const run = runPhases(context, id).finally(() => runningHere().delete(id));
  runningHere().set(id, run);
  return run;
}

async function runPhases(context: MigrationContext, id: number): Promise<void> {
  const abort = new AbortController();
  const { db } = context.handle;
  const gone = () => abort.abort(new MigrationGone("the migration ended elsewhere"));
  const stopListening = await listen(context.handle, channels.migration, (payload) => {
    if ((payload as { id?: number } | null)?.id !== id) return;
    void getMigration(db, id).then((row) => {
      if (!row || isTerminal(row.state)) gone();
    });
  });
  const step = async (
    from: MigrationRow["state"],
    change: Parameters<typeof updateMigration>[3],
  ) => {
    if (!(await updateMigration(db, id, from, change))) throw new MigrationGone(from);
  };
  let row = await getMigration(db, id);
  try {
    if (!row) throw new Error(`migration ${id} does not exist`);
    const migrationLog = log.child({ migration: id });
    // A run that starts in `upload` is a restart's: the store may be ahead of the row.
    const resumed = row.state === "upload" || row.state === "sync";
    if (row.state === "init") {
      await setUp(context, row, step);
      abort.signal.throwIfAborted();
      row = await dump(context, id, step, gone, abort.signal);
    }
    let restored: { tables: Record<string, number> };
    if (row.state === "upload") {
      const base = await upload(context, row, gone, abort.signal, resumed);
      await step("upload", {
        state: "sync",
        progress: progressFor("sync", 0),
        cloudPhase: null,
        cloudQueuePosition: null,
      });
      row = (await getMigration(db, id)) ?? row;
      // A migration begun before deltas existed: its store restored it whole.
      restored = "tables" in base ? base : await sync(context, row, step, abort.signal, false);
    } else if (row.state === "sync") {
      restored = await sync(context, row, step, abort.signal, true);
    } else {
      throw new AppError("conflict", "state", `cannot run from ${row.state}`);
    }
    const keepReadOnly = row.afterDone === "read_only";
    await cleanUpMigration(context, row, { abortUpload: false, keepReadOnly });
    // Before `done`: whoever sees done finds the cut-over in place. Should the
    // step fail (a cancel), the clean-up lifts the moved hold like its own.
    await settleCutOver(context, row);
    await step("sync", {
      state: "done",
      progress: 100,
      restoredTables: restored.tables,
      // This instance's page of the copy: it asks the store with the token.
      cloudUrl: `/cloud/${row.externalId ?? ""}`,
      finishedAt: new Date(),
      etaSeconds: 0,
    });
    migrationLog.info({ tables: restored.tables, afterDone: row.afterDone }, "migration done");
  } catch (error) {
    const cancelled =
      error instanceof MigrationGone || abort.signal.reason instanceof MigrationGone;
    // Clean up first, then say "error": whoever sees the ending finds the
    // instance writable, the scheduler running and the archive gone.
    const latest = (await getMigration(db, id)) ?? row;
    if (latest) await cleanUpMigration(context, latest, { abortUpload: true });
    if (!cancelled) {
      log.error({ err: error, migration: id }, "migration failed");
      await updateMigration(db, id, "unfinished", {
        state: "error",
        error: describeFailure(error),
        finishedAt: new Date(),
      });
    }
  } finally {
    await stopListening().catch(() => {});
  }
}

type Step = (
  from: MigrationRow["state"],
  change: Parameters<typeof updateMigration>[3],
) => Promise<void>;

/**
 * Change capture first, with the instance writable: from its commit on,
 * every write is recorded, so the base copy may be taken while users work.
 */
async function setUp(context: MigrationContext, row: MigrationRow, step: Step) {
  await step("init", { state: "setup", progress: 1 });
  await installCapture(context.handle.db, context.readOnlyDrainMs ?? 30_000);
  await context.testHoldAfterCapture?.();
  await step("setup", { progress: progressFor("setup", 1) });
}

async function dump(
  context: MigrationContext,
  id: number,
  step: Step,
  gone: () => void,
  signal: AbortSignal,
): Promise<MigrationRow> {
  const { db } = context.handle;
  const archivePath = archivePathFor(context, id);
  await fs.promises.mkdir(path.dirname(archivePath), { recursive: true });
  await step("setup", {
    state: "dump",
    progress: progressFor("dump", 0),
    archivePath,
    bytesDone: 0,
  });
  const writer = new ProgressWriter(db, id, "dump", gone);
  const out = fs.createWriteStream(archivePath);
  // A failed or cancelled dump destroys the file stream; the error reaches us
  // through writeDumpArchive's promise.
  out.on("error", () => {});
  // PGlite is one connection: a snapshot held for the whole dump would make
  // every request wait behind it. There the base dump runs with writes
  // frozen instead (reads go on, batch by batch), and the upload and the
  // cloud's restore, the longer part, run writable. PostgreSQL reads the base
  // on connections of its own while users write.
  const freeze = context.handle.engine === "pglite";
  const migration = await getMigration(db, id);
  if (freeze) await freezeWrites(context, migration!);
  try {
    signal.throwIfAborted();
    const result = await writeDumpArchive(context.handle, out, {
      sourceInstanceId: await instanceId(db),
      secrets: sealedForStore(context, migration),
      writesFrozen: freeze,
      signal,
      onProgress: (p) =>
        writer.report({
          fraction: p.fraction,
          bytesDone: p.bytesDone,
          bytesTotal: p.bytesTotal,
        }),
    });
    await writer.flush();
    signal.throwIfAborted();
    await step("dump", {
      state: "upload",
      progress: progressFor("upload", 0),
      copySnapshot: result.manifest.snapshot ?? null,
      archiveSha256: result.sha256,
      archiveBytes: result.bytes,
      bytesDone: 0,
      bytesTotal: result.bytes,
      throughputBytesPerSecond: null,
      etaSeconds: null,
    });
    const row = await getMigration(db, id);
    if (!row) throw new MigrationGone("row vanished");
    return row;
  } finally {
    if (freeze) await thawWrites(context, migration!);
  }
}

/** Read-only on (its drain included) and the scheduler paused, for this migration. */
async function freezeWrites(context: MigrationContext, row: MigrationRow): Promise<void> {
  await enableReadOnly(context.handle, {
    reason: "migrating to the cloud",
    source: migrationSource(row.id),
    actorId: row.startedById,
    drainTimeoutMs: context.readOnlyDrainMs,
  });
  await pauseScheduler(context.handle.db, {
    reason: migrationSource(row.id),
    drainTimeoutMs: context.schedulerDrainMs ?? 60_000,
  });
}

/** The base's freeze lifted (PGlite): the upload runs with users working. */
async function thawWrites(context: MigrationContext, row: MigrationRow): Promise<void> {
  await disableReadOnly(context.handle);
  await resumeScheduler(context.handle.db);
  log.info({ migration: row.id }, "base copy taken; writes resume while it uploads");
}

/**
 * The archive's secrets are sealed for the store's public key, never sent as
 * stored: the instance's own key would not open them in the cloud, and an
 * instance without a key keeps them in plaintext.
 */
function sealedForStore(context: MigrationContext, row: MigrationRow | null): SecretOptions {
  if (!row?.storeSealingKey) {
    throw new Error("the migration has no store sealing key to seal the archive's secrets for");
  }
  return {
    mode: "store",
    instanceKey: context.secretKey,
    storeSeal: sealForStore(row.storeSealingKey),
  };
}

async function upload(
  context: MigrationContext,
  row: MigrationRow,
  gone: () => void,
  signal: AbortSignal,
  resumed: boolean,
): Promise<{ tables: Record<string, number> } | { base: true }> {
  const { db } = context.handle;
  const store = storeClientFor(context, row)?.withSignal(signal);
  if (!store) throw new Error("the migration has no store link to upload with");
  // After a restart the store may be past the upload (the crash came after
  // the last part, after `complete` or after `uploaded`): ask before sending.
  let verdict: CloudVerdict = resumed ? followStore(await store.status()) : { next: "upload" };
  if (verdict.next === "upload") {
    if (!row.archivePath || !row.archiveSha256) {
      throw new Error("the migration has no archive to upload");
    }
    if (resumed && !(await archiveIntact(row.archivePath, row.archiveSha256))) {
      throw new AppError(
        "conflict",
        "archive_lost",
        "The snapshot on this server is missing or changed since it was taken, and the cloud had not received it. Nothing was migrated; start again.",
      );
    }
    const writer = new ProgressWriter(db, row.id, "upload", gone);
    try {
      await uploadArchive({
        db,
        migrationId: row.id,
        store,
        file: row.archivePath,
        sha256: row.archiveSha256,
        signal,
        base: true,
        ...context.upload,
        onProgress: (p) =>
          writer.report({
            fraction: p.totalBytes > 0 ? p.bytesAcknowledged / p.totalBytes : 1,
            bytesDone: p.bytesAcknowledged,
            bytesTotal: p.totalBytes,
            throughputBytesPerSecond: p.bytesPerSecond,
            etaSeconds: p.etaSeconds,
          }),
      });
      verdict = { next: "wait", phase: "received", queuePosition: null };
    } catch (error) {
      // "It takes no more uploads": the store has it (or ended it); follow it.
      if (!isStateConflict(error)) throw error;
      verdict = followStore(await store.status());
      if (verdict.next === "upload") throw error;
    } finally {
      await writer.flush();
    }
  }
  // The page shows what the cloud is doing (in line, verifying, restoring).
  let shown: string | null = null;
  const showCloud = async (phase: string, queuePosition: number | null) => {
    const key = `${phase}:${queuePosition}`;
    if (key === shown) return;
    shown = key;
    if (
      !(await updateMigration(db, row.id, "upload", {
        cloudPhase: phase,
        cloudQueuePosition: queuePosition,
      }))
    ) {
      gone();
    }
  };
  return settleWithStore(
    store,
    verdict,
    signal,
    context.restoreTimeoutMs ?? 30 * 60_000,
    showCloud,
  );
}

/**
 * The switch: deltas of what changed since the base copy, until what is left
 * is small; then read-only mode on (its drain waits for writers under way),
 * the scheduler paused, and the final delta — the changes of the last
 * moments, with the frozen tables' digests, which the cloud must match
 * before it says the copy is complete. The read-only window is this last
 * round alone: its length follows the write rate, not the data's size.
 *
 * A restart finds this phase only through the store: if the cloud applied
 * the final delta, the migration is done; otherwise it ends, and the clean-up
 * drops the cloud's partial copy (a delta cannot be rebuilt from a snapshot
 * the crash took with it).
 */
async function sync(
  context: MigrationContext,
  row: MigrationRow,
  step: Step,
  signal: AbortSignal,
  resumed: boolean,
): Promise<{ tables: Record<string, number> }> {
  const { db } = context.handle;
  const store = storeClientFor(context, row)?.withSignal(signal);
  if (!store) throw new Error("the migration has no store link to send deltas with");
  if (resumed) {
    const verdict = followStore(await store.status());
    if (verdict.next === "done") return { tables: verdict.tables };
    throw new AppError(
      "conflict",
      "sync_interrupted",
      "The server stopped while the last changes were being copied; the cloud's partial copy was dropped.",
    );
  }
  let since = row.copySnapshot;
  if (!since) throw new Error("the migration has no snapshot of its base copy");
  let round = row.deltaRound;
  const dir = path.dirname(archivePathFor(context, row.id));
  const sendDelta = async (final: boolean) => {
    const began = Date.now();
    round += 1;
    const file = path.join(dir, `delta-${round}.tar`);
    const out = fs.createWriteStream(file);
    out.on("error", () => {});
    const written = await writeDumpArchive(context.handle, out, {
      sourceInstanceId: await instanceId(db),
      secrets: sealedForStore(context, row),
      writesFrozen: final,
      signal,
      delta: { round, since: since!, final, digests: final ? frozenDigestSpecs() : undefined },
    });
    signal.throwIfAborted();
    const writeMs = Date.now() - began;
    const applied = await uploadDelta({ store, file, round, signal });
    await fs.promises.rm(file, { force: true });
    since = written.manifest.snapshot!;
    const report: DeltaReport = {
      round,
      final,
      rows: written.manifest.tables.reduce((n, t) => n + t.rows, 0),
      keys: (written.manifest.delta?.keys ?? []).reduce((n, t) => n + t.rows, 0),
      bytes: written.bytes,
      ms: Date.now() - began,
      writeMs,
    };
    log.info({ migration: row.id, ...report }, "delta applied by the cloud");
    context.onDelta?.(report);
    await step("sync", {
      copySnapshot: since,
      deltaRound: round,
      progress: progressFor("sync", final ? 0.95 : Math.min(0.5, round / 8)),
    });
    return applied;
  };
  // Writable rounds while what changed is more than a tenth of the copy (at
  // most three: a write rate the copy cannot catch up with is frozen anyway).
  for (let writable = 0; writable < 3; writable++) {
    const pending = await changesSince(captureQuery(db), since);
    if (pending <= Math.max(1000, (await copiedRowsEstimate(db)) / 10)) break;
    await sendDelta(false);
  }
  await step("sync", { readOnlyFrom: new Date(), progress: progressFor("sync", 0.6) });
  await freezeWrites(context, row);
  signal.throwIfAborted();
  const applied = await sendDelta(true);
  if (applied.status !== "restored") {
    throw new AppError(
      "upstream",
      "store_delta",
      `The cloud applied the last changes but reports "${applied.status}", not a complete copy.`,
    );
  }
  return { tables: applied.tables ?? {} };
}

async function archiveIntact(file: string, sha256: string): Promise<boolean> {
  if (!fs.existsSync(file)) return false;
  return (await sha256OfFile(file)) === sha256;
}

/**
 * The store verifies and restores after "uploaded": follow its status to the
 * verdict. A status call that fails (the store restarting, the network
 * dropping) is tried again until the deadline: the cloud may well finish.
 */
async function settleWithStore(
  store: StoreClient,
  first: CloudVerdict,
  signal: AbortSignal,
  timeoutMs: number,
  show: (phase: string, queuePosition: number | null) => Promise<void>,
): Promise<{ tables: Record<string, number> } | { base: true }> {
  const deadline = Date.now() + timeoutMs;
  let verdict = first;
  for (;;) {
    signal.throwIfAborted();
    if (verdict.next === "wait") await show(verdict.phase, verdict.queuePosition);
    if (verdict.next === "done") return { tables: verdict.tables };
    if (verdict.next === "sync") return { base: true };
    if (verdict.next === "failed") {
      throw new AppError(
        "upstream",
        "store_restore",
        `The cloud could not restore the snapshot: ${verdict.reason}.`,
      );
    }
    if (verdict.next === "upload") {
      throw new AppError(
        "upstream",
        "store_lost_upload",
        "The cloud no longer has the uploaded snapshot.",
      );
    }
    if (Date.now() > deadline) {
      throw new AppError(
        "upstream",
        "store_timeout",
        "The cloud took too long to restore the snapshot.",
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
    try {
      verdict = followStore(await store.status());
    } catch (error) {
      if (error instanceof StoreRequestError && error.status < 500 && error.status !== 429) {
        throw error;
      }
      signal.throwIfAborted();
      log.warn({ err: error, store_migration: store.externalId }, "store status unavailable");
    }
  }
}

/** A message an admin can act on; the details go to the log. */
function describeFailure(error: unknown): string {
  // A store call outside the upload (its status, after a restart).
  if (error instanceof StoreRequestError || systemErrorCode(error)) {
    return `The migration stopped: ${publicUploadCause(error)}.`;
  }
  return publicFailureMessage(error, "The migration");
}
