import crypto from "node:crypto";
import { PassThrough, Readable, type Writable } from "node:stream";
import type { PGlite } from "@electric-sql/pglite";
import type postgres from "postgres";
import type { DatabaseHandle } from "@/db/client";
import packageJson from "@/package.json";
import {
  appliedMigrationRows,
  nextSequenceValue,
  sequenceStates,
  tableEstimates,
  tableShapes,
  type TableShape,
} from "../catalog";
import { changedRowsFilter, primaryKeyColumns, snapshotTextSql } from "../delta/capture";
import { tableDigests, type DigestSpec } from "../delta/digest";
import { writeKeyLists } from "../delta/key-lists";
import { countCopyRows } from "../format/copy-text";
import { describeBytes, MAX_CHUNK_BYTES, MAX_DATA_FILE_BYTES } from "../format/limits";
import {
  dataFilePath,
  DUMP_FORMAT,
  DUMP_FORMAT_VERSION,
  type DumpManifest,
  type ManifestTable,
} from "../format/manifest";
import { restoreSql } from "../format/restore-sql";
import { excludedSettings, exportableRows } from "../instance-only";
import { identifyApplied, schemaSql } from "../migrations";
import type { SecretOptions } from "../secrets";
import { dumpTables, excludedTables } from "../tables";
import { ArchiveWriter } from "./archive-writer";
import { CompressionPool } from "./compress";
import { DumpShare } from "./dump-share";
import { secretRewrite, secretSummary } from "./secret-rewrite";
import type { Snapshot, SnapshotWorker } from "./source";
import { withPgliteSnapshot } from "./source-pglite";
import { withPostgresSnapshot } from "./source-postgres";

/** What a delta archive covers. */
export interface DeltaRequest {
  round: number;
  /** The snapshot of the copy before (its manifest's `snapshot`). */
  since: string;
  /** Writes are frozen: this delta completes the copy, and carries digests. */
  final: boolean;
  /** The tables (and columns, rows) the final delta's digests cover. */
  digests?: DigestSpec[];
}

export interface DumpProgress {
  table: string | null;
  rowsDone: number;
  /** Estimated from planner statistics: rowsDone may pass it. */
  rowsTotal: number;
  /** Uncompressed COPY text written so far. */
  bytesDone: number;
  /** Estimated from the tables' on-disk size. */
  bytesTotal: number;
  /** Share of the dump done, 0–1: what a progress bar should show (see DumpShare). */
  fraction: number;
}

export interface WriteDumpOptions {
  /** Default: secrets stay as stored (encrypted with the instance key when there is one). */
  secrets?: SecretOptions;
  /** PostgreSQL connections reading tables at once (PGlite has one). Default 2. */
  parallel?: number;
  /** Uncompressed bytes per data file; bounds memory per worker. Default and most: MAX_CHUNK_BYTES. */
  chunkBytes?: number;
  /** Rows per read. Default 5000. */
  batchRows?: number;
  /** gzip level, 1-9. Default 6 (gzip's and pg_dump's default). */
  compressionLevel?: number;
  sourceInstanceId?: string | null;
  onProgress?: (progress: DumpProgress) => void;
  signal?: AbortSignal;
  /**
   * The caller has switched read-only mode on, so only the exempt logs can
   * change. On PGlite the dump then reads batch by batch instead of holding
   * the one connection for its whole length, and the app keeps serving.
   */
  writesFrozen?: boolean;
  /** Write a delta instead of a full dump: only what changed since a copy (see lib/dump/delta). */
  delta?: DeltaRequest;
}

export interface DumpResult {
  manifest: DumpManifest;
  /** Size and SHA-256 of the archive itself, e.g. for the upload. */
  bytes: number;
  sha256: string;
}

function withSnapshot<T>(
  handle: DatabaseHandle,
  parallel: number,
  writesFrozen: boolean,
  fn: (s: Snapshot) => Promise<T>,
): Promise<T> {
  return handle.engine === "pglite"
    ? withPgliteSnapshot(handle.raw as PGlite, fn, { writesFrozen })
    : withPostgresSnapshot(handle.raw as postgres.Sql, parallel, fn);
}

/** A row is never split between files, so none may be longer than a file. */
const rowTooLong = (table: string) =>
  new Error(
    `Table ${table} has a row of more than ${describeBytes(MAX_DATA_FILE_BYTES)} of text, the most a data file of an archive may hold: it cannot be dumped.`,
  );

const sha256 = (data: Buffer | string) => crypto.createHash("sha256").update(data).digest("hex");

/**
 * Streams a consistent dump of the app database into `out` as a tar archive
 * (format v1, see ARCHITECTURE.md). Data files are bounded chunks, each its
 * own gzip member, so a table never sits in memory: one file filling per
 * reader, and `parallel + 1` files compressing or waiting to be written (see
 * CompressionPool), each about `chunkBytes`. The manifest can only be written once every checksum is known, so
 * it is the archive's last entry; readers find it there.
 */
export async function writeDumpArchive(
  handle: DatabaseHandle,
  out: Writable,
  options: WriteDumpOptions = {},
): Promise<DumpResult> {
  const secrets = options.secrets ?? { mode: "keep", instanceKey: null };
  const chunkBytes = options.chunkBytes ?? MAX_CHUNK_BYTES;
  if (!(chunkBytes >= 1 && chunkBytes <= MAX_CHUNK_BYTES)) {
    throw new RangeError(`chunkBytes must be between 1 and ${MAX_CHUNK_BYTES}.`);
  }
  const batchRows = options.batchRows ?? 5000;
  const parallel = options.parallel ?? 2;
  // One file more in flight than there are readers keeps every core busy.
  const pool = new CompressionPool(parallel + 1, options.compressionLevel ?? 6, chunkBytes);
  const createdAt = new Date();
  const archive = new ArchiveWriter(out, createdAt);
  const checkAbort = () => options.signal?.throwIfAborted();
  try {
    return await withSnapshot(handle, parallel, options.writesFrozen ?? false, async (snapshot) => {
      const tables = dumpTables();
      const names = tables.filter((t) => !t.excluded).map((t) => t.name);
      const [[snapshotText]] = (await snapshot.query(snapshotTextSql)) as [[string]];
      const delta = options.delta;
      const keyColumns = delta ? await primaryKeyColumns(snapshot.query, names) : null;
      const rowFilterOf = (table: string) => {
        const exportable = exportableRows(table);
        if (!delta) return exportable;
        const changed = changedRowsFilter(table, keyColumns!.get(table)!, delta.since);
        return exportable ? `(${exportable}) and ${changed}` : changed;
      };
      const applied = identifyApplied(await appliedMigrationRows(snapshot.query));
      const shapes = await tableShapes(snapshot.query, names);
      const estimates = await tableEstimates(snapshot.query, names);
      const secretInfo = await secretSummary(snapshot.query, secrets);
      const sequences = [];
      for (const s of await sequenceStates(snapshot.query, names)) {
        const nextValue = await nextSequenceValue(snapshot.query, s.sequence);
        sequences.push({ table: s.table, column: s.column, nextValue });
      }
      const schema = schemaSql(applied);
      await archive.entry("schema.sql", Buffer.from(schema));

      const progress: DumpProgress = {
        table: null,
        rowsDone: 0,
        rowsTotal: 0,
        bytesDone: 0,
        bytesTotal: 0,
        fraction: 0,
      };
      const share = new DumpShare(estimates, names);
      for (const e of estimates.values()) {
        progress.rowsTotal += e.rows;
        progress.bytesTotal += e.bytes;
      }
      options.onProgress?.({ ...progress });

      const dumpTable = async (
        worker: SnapshotWorker,
        shape: TableShape,
      ): Promise<ManifestTable> => {
        const order = tables.find((t) => t.name === shape.name)!.order;
        const tableHash = crypto.createHash("sha256");
        const result: ManifestTable = {
          name: shape.name,
          order,
          columns: shape.columns.map((c) => c.name),
          primaryKey: shape.primaryKey,
          rows: 0,
          bytes: 0,
          sha256: "",
          files: [],
        };
        // Rows gather here until they make a file of about `chunkBytes`.
        let pending = pool.newText();
        // This table's files are compressed side by side but written in
        // order: each write waits for the one before (a reader checks it).
        let written: Promise<void> = Promise.resolve();
        let fileCount = 0;
        const launch = async () => {
          if (pending.length === 0) return;
          const file = pending;
          pending = pool.newText();
          const path = dataFilePath(order, shape.name, fileCount++);
          const job = await pool.start(file);
          const before = written;
          written = (async () => {
            try {
              const { compressed, ...facts } = await job.done;
              await before;
              result.files.push({ path, ...facts });
              await archive.entry(path, compressed);
            } finally {
              job.release();
            }
          })();
          // Awaited below; a failure must not count as unhandled meanwhile.
          written.catch(() => {});
        };
        const spec = {
          shape,
          batchRows,
          rewrite: secretRewrite(shape.name, result.columns, secrets),
          rowFilter: rowFilterOf(shape.name),
        };
        for await (const batch of worker.readTable(spec)) {
          checkAbort();
          tableHash.update(batch.data);
          result.rows += batch.rows;
          result.bytes += batch.data.length;
          // Files end at the first row end past `chunkBytes`, or before the
          // row that would take them past MAX_DATA_FILE_BYTES.
          for (let rest = batch.data; rest.length > 0;) {
            const room = chunkBytes - pending.length;
            const cut = rest.length > room ? rest.indexOf(0x0a, Math.max(0, room - 1)) + 1 : 0;
            const part = cut > 0 ? rest.subarray(0, cut) : rest;
            if (pending.length + part.length > MAX_DATA_FILE_BYTES) {
              // The rows before the one that crosses the chunk's end close this file.
              const crossing = room >= 2 ? rest.lastIndexOf(0x0a, room - 2) + 1 : 0;
              if (pending.length === 0 && crossing === 0) throw rowTooLong(shape.name);
              if (crossing > 0)
                pending.append(
                  rest.subarray(0, crossing),
                  countCopyRows(rest.subarray(0, crossing)),
                );
              rest = rest.subarray(crossing);
              await launch();
              continue;
            }
            rest = rest.subarray(part.length);
            pending.append(part, part === batch.data ? batch.rows : countCopyRows(part));
            if (pending.length >= chunkBytes) await launch();
          }
          progress.rowsDone += batch.rows;
          progress.bytesDone += batch.data.length;
          progress.fraction = share.read(shape.name, batch.rows);
          options.onProgress?.({ ...progress, table: shape.name });
        }
        await launch();
        pool.recycle(pending);
        await written;
        progress.fraction = share.finished(shape.name);
        options.onProgress?.({ ...progress, table: shape.name });
        result.sha256 = tableHash.digest("hex");
        return result;
      };

      // Largest tables first, so that parallel workers finish close together.
      const queue = [...shapes].sort(
        (a, b) => (estimates.get(b.name)?.bytes ?? 0) - (estimates.get(a.name)?.bytes ?? 0),
      );
      const done: ManifestTable[] = [];
      await Promise.all(
        snapshot.workers.map(async (worker) => {
          for (let shape = queue.shift(); shape; shape = queue.shift()) {
            done.push(await dumpTable(worker, shape));
          }
        }),
      );
      done.sort((a, b) => a.order - b.order);
      const deltaFacts = delta
        ? {
            round: delta.round,
            since: delta.since,
            final: delta.final,
            keys: await writeKeyLists(snapshot.query, archive, {
              tables: done,
              keyColumns: keyColumns!,
              since: delta.since,
              chunkBytes,
              compressionLevel: options.compressionLevel ?? 6,
            }),
            ...(delta.final && delta.digests
              ? {
                  digests: await tableDigests(
                    snapshot.workers.map((w) => w.query),
                    delta.digests,
                  ),
                }
              : {}),
          }
        : undefined;

      const partial = {
        tables: done,
        excludedTables: [...excludedTables].map((name) => ({
          name,
          reason: "this instance's own migration state; the copy starts without it",
        })),
        excludedSettings: excludedSettings(),
        sequences,
        schema: {
          migrationId: applied.at(-1)!.id,
          migrations: applied.map(({ id, hash, createdAt }) => ({ id, hash, createdAt })),
          sha256: sha256(schema),
        },
      };
      // A delta merges into a copy: psql alone cannot apply it, so its
      // restore.sql only says so.
      const restore = delta
        ? "-- A Liftoff delta archive: the store applies it to the copy it follows.\n"
        : restoreSql(partial);
      await archive.entry("restore.sql", Buffer.from(restore));
      const manifest: DumpManifest = {
        format: DUMP_FORMAT,
        formatVersion: DUMP_FORMAT_VERSION,
        appVersion: packageJson.version,
        createdAt: createdAt.toISOString(),
        sourceInstanceId: options.sourceInstanceId ?? null,
        sourceEngine: handle.engine,
        secrets: secretInfo,
        ...partial,
        restoreSql: { sha256: sha256(restore) },
        snapshot: snapshotText,
        ...(deltaFacts ? { delta: deltaFacts } : {}),
      };
      await archive.entry("manifest.json", Buffer.from(JSON.stringify(manifest, null, 2) + "\n"));
      return { manifest, ...(await archive.finish()) };
    });
  } catch (error) {
    // A half-written archive must not look complete: break the stream.
    out.destroy(error instanceof Error ? error : new Error(String(error)));
    throw error;
  }
}

/**
 * The same dump as a web stream, for a route handler:
 * `return new Response(dumpArchiveStream(handle).stream, {headers})`.
 * Cancelling the response (the client went away) aborts the dump.
 */
export function dumpArchiveStream(
  handle: DatabaseHandle,
  options: WriteDumpOptions = {},
): { stream: ReadableStream<Uint8Array>; result: Promise<DumpResult> } {
  const pass = new PassThrough({ highWaterMark: 1 << 20 });
  const result = writeDumpArchive(handle, pass, options);
  // The caller may only read the stream; failures also surface there.
  result.catch(() => {});
  return { stream: Readable.toWeb(pass) as ReadableStream<Uint8Array>, result };
}
