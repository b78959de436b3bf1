import type postgres from "postgres";
import type { DatabaseHandle } from "@/db/client";
import type { SecretKey } from "@/lib/secrets/cipher";
import type { SealingKeyPair } from "@/lib/secrets/sealed-box";
import { DEFAULT_MAX_TEXT_BYTES } from "../format/limits";
import { manifestFromTail } from "../format/manifest-tail";
import type { ArchiveSource } from "../format/read-archive";
import { codeMigrations } from "../migrations";
import {
  ArchiveTally,
  readManifest,
  verifyDumpArchive,
  type VerifiedArchive,
} from "../verify/verify";
import { archiveSecretsKey } from "./archive-secrets";
import { forEachDataFile, forEachIndexedFile, openIndexed } from "./data-files";
import { withoutKeysAndIndexes } from "./keys";
import { loadInParallel } from "./parallel/load-parallel";
import type { LoadDataFile, LoadPlan, LoadProgress, LoadReport } from "./plan";
import { progressOf, StoredRows } from "./progress";
import { SequentialCopies } from "./table-copy";
import { withLoadTransaction } from "./target";
import { finishTarget, prepareTarget } from "./target-steps";

export type { LoadProgress, LoadReport } from "./plan";

export interface LoadOptions {
  onProgress?: (progress: LoadProgress) => void;
  /** Skips the verification pass when the caller has just run it on the same bytes. */
  verified?: VerifiedArchive;
  /**
   * PostgreSQL and an archive file only (each connection reads its own
   * tables' files from it): load tables side by side on this many
   * connections, as `pg_restore -j` does. Default 1: the whole load is one
   * transaction.
   * With more, it is several (see loadInParallel): all or nothing still, but
   * a failure is undone by dropping what the load created, not by rollback.
   */
  jobs?: number;
  /** Opens an archive whose secrets are sealed with a passphrase (see archive-secrets.ts). */
  passphrase?: string;
  /** The store's: opens an archive whose secrets are sealed for its public key. */
  sealingKey?: SealingKeyPair;
  /**
   * How the loading instance stores secrets: a passphrase or store-sealed
   * archive's secrets are re-sealed with this key, or stored in plaintext
   * when it is null.
   */
  instanceKey?: SecretKey | null;
  /** The most text all data files may inflate to (see format/limits.ts); the store sets its own. */
  maxTextBytes?: number;
}

/**
 * Loads a verified archive into an empty database in one transaction: the
 * archive's schema from this code's migrations, the data, the keys and
 * indexes, the sequences, then any newer migrations. Any failure rolls all
 * of it back. (With `jobs` > 1 on PostgreSQL, see loadInParallel.)
 */
export async function loadDumpArchive(
  handle: DatabaseHandle,
  source: ArchiveSource,
  options: LoadOptions = {},
): Promise<LoadReport> {
  // The manifest is the archive's last entry: read from the end of a file, it
  // lets the data be verified while it loads, in one pass. Otherwise (a
  // stream, or an end that is not what the writer leaves) the archive is
  // verified in full first.
  const tail =
    !options.verified && typeof source === "string" ? await manifestFromTail(source) : null;
  const limits = { maxTextBytes: options.maxTextBytes ?? DEFAULT_MAX_TEXT_BYTES };
  const verified =
    options.verified ??
    (tail
      ? readManifest(tail, codeMigrations(), limits)
      : await verifyDumpArchive(source, codeMigrations(), limits));
  const { manifest } = verified;
  // A missing or wrong passphrase or store key is refused before anything is written.
  const archiveKey = await archiveSecretsKey(manifest, options);
  const plan: LoadPlan = {
    verified,
    tail,
    byPath: new Map(
      manifest.tables.flatMap((table) => table.files.map((file) => [file.path, { table, file }])),
    ),
    progress: { rowsDone: 0, rowsTotal: manifest.tables.reduce((n, t) => n + t.rows, 0) },
    onProgress: options.onProgress,
    reseal: archiveKey ? { from: archiveKey, to: options.instanceKey ?? null } : undefined,
  };
  const jobs = handle.engine === "postgres" ? Math.max(1, Math.floor(options.jobs ?? 1)) : 1;
  if (jobs > 1 && typeof source === "string") {
    return loadInParallel(handle.raw as postgres.Sql, jobs, source, plan);
  }
  // An archive file is read a table at a time (see forEachIndexedFile), its
  // structure checked against the manifest before anything is written.
  const archive = typeof source === "string" ? await openIndexed(source, plan) : null;
  try {
    return await withLoadTransaction(handle, async (target) => {
      await prepareTarget(target, manifest, verified.migrations, { record: true });
      const tally = new ArchiveTally(verified.limits);
      const stored = new StoredRows();
      await withoutKeysAndIndexes(target, async () => {
        const copies = new SequentialCopies(target, tally, stored, progressOf(plan));
        const load: LoadDataFile = (listed, compressed) =>
          copies.add(listed.table, listed.file, compressed);
        try {
          if (archive) await forEachIndexedFile(archive, plan, tally, load);
          else await forEachDataFile(source, plan, tally, load);
          await copies.end();
        } catch (error) {
          // Nothing more is sent in the middle of a COPY: the rollback must get through.
          await copies.abort(error);
          throw error;
        }
      });
      return finishTarget(target, plan, tally, stored, { recordBefore: false });
    });
  } finally {
    await archive?.handle.close();
  }
}
