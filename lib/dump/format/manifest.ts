import { z } from "zod";
import { scryptParamsSchema } from "@/lib/secrets/passphrase";
import { sealedBoxScheme } from "@/lib/secrets/sealed-box";
import { MANIFEST_LIST_LIMITS as most } from "./limits";

export const DUMP_FORMAT = "liftoff-dump";
export const DUMP_FORMAT_VERSION = 1;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, "must be a SHA-256 hex digest");
const count = z.number().int().nonnegative();
const txidSnapshot = z
  .string()
  .regex(/^[0-9]+:[0-9]+:([0-9]+(,[0-9]+)*)?$/, "is not a txid snapshot");
/** A list of at most `max` (see MANIFEST_LIST_LIMITS), refused with a message that says so. */
const list = <T extends z.ZodType>(item: T, max: number, what: string) =>
  z.array(item).max(max, `lists more than ${max} ${what}, the most a manifest may`);

/** Data files live in `data/`, named `NNN-<table>.K.tsv.gz` (K = chunk number). */
export const dataFilePattern = /^data\/[0-9]{3}-[a-z0-9_]+\.[0-9]+\.tsv\.gz$/;

export function dataFilePath(order: number, table: string, chunk: number): string {
  return `data/${String(order).padStart(3, "0")}-${table}.${chunk}.tsv.gz`;
}

const dataFile = z.object({
  path: z.string().regex(dataFilePattern, "is not a data file path"),
  rows: count,
  /** Uncompressed bytes: the text's SHA-256 is the table's, over all its files. */
  bytes: count,
  /**
   * The gzip file as stored: any flipped byte shows, even one gzip would not
   * notice, before the file is loaded. (Decompression is deterministic, so
   * this pins the text too; a SHA-256 of each file's text as well would cost
   * a pass over every byte and add nothing.)
   */
  compressedBytes: count,
  compressedSha256: sha256,
});

const table = z.object({
  name: z.string().regex(/^[a-z0-9_]+$/),
  order: count,
  columns: list(z.string().min(1), most.columns, "columns").min(1),
  primaryKey: list(z.string().min(1), most.primaryKey, "key columns"),
  rows: count,
  bytes: count,
  /** SHA-256 of the table's uncompressed data, all chunks in order: the text as loaded. */
  sha256,
  files: list(dataFile, most.filesPerTable, "data files"),
});

const migration = z.object({ id: z.string(), hash: sha256, createdAt: z.number().int() });

export const manifestSchema = z.object({
  format: z.literal(DUMP_FORMAT),
  formatVersion: z.number().int(),
  appVersion: z.string(),
  createdAt: z.string(),
  sourceInstanceId: z.string().nullable(),
  sourceEngine: z.enum(["pglite", "postgres"]),
  schema: z.object({
    /** The last applied Drizzle migration: the schema the data fits. */
    migrationId: z.string(),
    migrations: list(migration, most.migrations, "migrations").min(1),
    sha256,
  }),
  secrets: z.object({
    /**
     * instance-key: as the instance stores them (encrypted with its key when
     * it has one); plaintext: decrypted on request; passphrase: encrypted with
     * a key derived from a passphrase the admin chose (see `kdf`); store-key:
     * sealed for the cloud store's public key (see `sealedFor`).
     * recipient-key (a key the caller supplied) is no longer written; older
     * archives may carry it.
     */
    mode: z.enum(["instance-key", "plaintext", "recipient-key", "passphrase", "store-key"]),
    keyFingerprint: z.string().nullable(),
    count,
    encrypted: count,
    /** passphrase: how its key is derived (scrypt, the salt); the passphrase itself never is here. */
    kdf: scryptParamsSchema.optional(),
    /** store-key: which store key, and the archive's ephemeral public key (never a private one). */
    sealedFor: z
      .object({
        scheme: z.literal(sealedBoxScheme),
        keyId: z.string().regex(/^[0-9a-f]{16}$/),
        ephemeralPublicKey: z.string().regex(/^[A-Za-z0-9+/]{43}=$/),
      })
      .optional(),
  }),
  tables: list(table, most.tables, "tables"),
  excludedTables: list(z.object({ name: z.string(), reason: z.string() }), most.tables, "tables"),
  /**
   * Settings left behind because they belong to the source instance alone
   * (the session-signing secret); the restored copy makes its own. Absent in
   * archives written before such settings were left out.
   */
  excludedSettings: list(z.string(), most.excludedSettings, "settings").optional(),
  sequences: list(
    z.object({
      table: z.string(),
      column: z.string(),
      /** The next value a new row gets (bigint as a string). */
      nextValue: z.string().regex(/^-?[0-9]+$/),
    }),
    most.sequences,
    "sequences",
  ),
  restoreSql: z.object({ sha256 }),
  /**
   * The transactions the data was read under (`txid_current_snapshot()`): a
   * delta carries what changed in transactions this snapshot did not see.
   * Absent in archives written before deltas.
   */
  snapshot: txidSnapshot.optional(),
  /** Present in a delta archive only (see lib/dump/delta). */
  delta: z
    .object({
      /** 1 for the first delta after the base, and so on. */
      round: z.number().int().positive(),
      /** The snapshot of the copy this delta follows: the base's, or the previous delta's. */
      since: txidSnapshot,
      /** Taken with writes frozen: the copy is complete once it is applied. */
      final: z.boolean(),
      /**
       * Per table, every key changed since `since`: the store deletes them,
       * then inserts `tables`' rows (the keys' rows that still exist). Each
       * is listed like a table, its columns the primary key, its order 500
       * more than the table's.
       */
      keys: list(table, most.tables, "key lists"),
      /** Final deltas: the frozen source's digest of each table (see delta/digest.ts). */
      digests: list(
        z.strictObject({
          table: z.string().regex(/^[a-z0-9_]+$/),
          columns: list(z.string().regex(/^[a-z0-9_]+$/), most.columns, "columns"),
          exclude: z
            .strictObject({
              column: z.string().regex(/^[a-z0-9_]+$/),
              keys: list(z.string().max(200), most.excludedSettings, "keys"),
            })
            .optional(),
          digest: z.string().regex(/^[0-9]+:-?[0-9]+$/),
        }),
        most.tables,
        "digests",
      ).optional(),
    })
    .optional(),
});

/** Where a table's list of changed keys is numbered in a delta archive. */
export const KEY_LIST_ORDER_OFFSET = 500;

/** Every data stream the manifest lists: the tables, and a delta's key lists. */
export function listedStreams(manifest: DumpManifest): ManifestTable[] {
  return [...manifest.tables, ...(manifest.delta?.keys ?? [])];
}

export type DumpManifest = z.infer<typeof manifestSchema>;
export type ManifestTable = DumpManifest["tables"][number];
export type ManifestDataFile = ManifestTable["files"][number];
export type ManifestMigration = z.infer<typeof migration>;
