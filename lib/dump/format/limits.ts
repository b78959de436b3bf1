/**
 * What an archive may hold, whatever its manifest says: the sender of an
 * archive chooses every figure in it, so none of them may decide how much
 * a reader reads, inflates or keeps in memory. Each limit sits above what
 * the dump's own writer makes (write/write.ts keeps to them), and each crossing
 * is refused as soon as it shows, with a message that names the limit.
 */

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/**
 * The writer cuts a table's COPY text into data files of about this many
 * bytes (a file ends at the first row end past it), and allows no more:
 * each file is held whole while it is compressed, checked and loaded.
 */
export const MAX_CHUNK_BYTES = 8 * MiB;

/**
 * A data file's text, inflated. The writer ends a file at the first row end
 * past a chunk, or before the row that would take it past this: any row up
 * to this size can be dumped, and a longer one is refused by the dump (it
 * says which table holds it) rather than by the store after the upload.
 */
export const MAX_DATA_FILE_BYTES = 2 * MAX_CHUNK_BYTES;

/**
 * A tar entry's body, read whole: the largest data file as gzip stores
 * text it cannot shrink (5 bytes a 64 KiB block, and its header), with room
 * to spare. The other entries (schema.sql, restore.sql, the manifest) are
 * far smaller.
 */
export const MAX_ENTRY_BYTES = MAX_DATA_FILE_BYTES + 64 * KiB;

/**
 * How many times its stored size a data file may inflate to: well above
 * what COPY text of real tables compresses to, even rows alike but for
 * their id, and far below gzip's own maximum (about 1000), which only text
 * made to inflate reaches. A file the writer compresses further than this
 * it stores uncompressed instead (see CompressionPool), so its archives
 * always pass.
 */
export const MAX_INFLATE_RATIO = 200;

/**
 * Text up to this size is never refused for its ratio: a small file cannot
 * amplify much, and gzip's fixed cost makes the ratio of a tiny file noise.
 */
export const RATIO_EXEMPT_BYTES = 64 * KiB;

/**
 * All data files' text together, by default. The store takes its own from
 * LIFTOFF_STORE_MAX_RESTORE_BYTES: it bounds what one archive can make the
 * store write, however well it compresses.
 */
export const DEFAULT_MAX_TEXT_BYTES = 32 * GiB;

/**
 * manifest.json: about 250 bytes a data file, so room for some 30 000 files
 * (over 200 GiB of text at the writer's chunk size).
 */
export const MAX_MANIFEST_BYTES = 8 * MiB;

/** Lengths of the manifest's lists, so that no check of it grows out of hand. */
export const MANIFEST_LIST_LIMITS = {
  /** The app's schema has a few dozen tables. */
  tables: 1000,
  /** Over 250 GiB of one table at the writer's chunk size. */
  filesPerTable: 32_768,
  /** PostgreSQL's own limit on a table's columns. */
  columns: 1600,
  /** PostgreSQL's limit on an index's columns (INDEX_MAX_KEYS). */
  primaryKey: 32,
  /** One a schema change: years of releases. */
  migrations: 10_000,
  sequences: 10_000,
  excludedSettings: 1000,
} as const;

/** The limits a reader may set: only the total, for the store (see DEFAULT_MAX_TEXT_BYTES). */
export interface ArchiveLimits {
  maxTextBytes: number;
}

export const defaultArchiveLimits: ArchiveLimits = { maxTextBytes: DEFAULT_MAX_TEXT_BYTES };

/** A size as a person reads it: "16 MiB", "32 GiB", "812 bytes". */
export function describeBytes(bytes: number): string {
  for (const [unit, size] of [
    ["GiB", GiB],
    ["MiB", MiB],
    ["KiB", KiB],
  ] as const) {
    if (bytes >= size) {
      return `${Number((bytes / size).toFixed(2))} ${unit}`;
    }
  }
  return `${bytes} bytes`;
}

/**
 * How far a data file stored in `compressedBytes` may inflate, and which
 * limit that is: the per-file cap or the ratio.
 */
export function inflateLimit(compressedBytes: number): { bytes: number; by: "size" | "ratio" } {
  const byRatio = Math.max(RATIO_EXEMPT_BYTES, compressedBytes * MAX_INFLATE_RATIO);
  return byRatio < MAX_DATA_FILE_BYTES
    ? { bytes: byRatio, by: "ratio" }
    : { bytes: MAX_DATA_FILE_BYTES, by: "size" };
}
