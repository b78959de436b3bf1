import crypto from "node:crypto";
import fs from "node:fs";
import { CopyFormatError, CopyRowCounter } from "./copy-text";
import { ArchiveRefusal } from "./errors";
import { gunzipInto, type PiecePool } from "./inflate";
import {
  describeBytes,
  inflateLimit,
  MAX_ENTRY_BYTES,
  MAX_INFLATE_RATIO,
  MAX_MANIFEST_BYTES,
} from "./limits";
import {
  DUMP_FORMAT,
  DUMP_FORMAT_VERSION,
  dataFilePattern,
  manifestSchema,
  type DumpManifest,
  type ManifestDataFile,
} from "./manifest";
import { indexTar, readTar, TarFormatError } from "./tar";

/** A path, or something that opens the archive afresh each time (it is read twice). */
export type ArchiveSource = string | (() => AsyncIterable<Uint8Array>);

export type EntryKind = "manifest" | "schema" | "restore" | "data" | "directory";

function open(source: ArchiveSource): AsyncIterable<Uint8Array> {
  return typeof source === "string"
    ? fs.createReadStream(source, { highWaterMark: 1 << 20 })
    : source();
}

/** Only the archive's own names are accepted: nothing can land outside its folder when extracted. */
export function entryKind(name: string, type: "file" | "directory"): EntryKind {
  if (type === "directory" && name === "data/") return "directory";
  if (type === "file") {
    if (name === "manifest.json") return "manifest";
    if (name === "schema.sql") return "schema";
    if (name === "restore.sql") return "restore";
    if (dataFilePattern.test(name)) return "data";
  }
  throw new ArchiveRefusal(
    "unsafe_path",
    `The archive carries an entry outside its own folders (${JSON.stringify(name)}); it was refused.`,
  );
}

export interface ArchiveEntry {
  name: string;
  kind: EntryKind;
  data: Buffer;
}

const truncated = () =>
  new ArchiveRefusal(
    "truncated",
    "The archive is truncated: it ends before its last entry is complete. Copy or download it again.",
  );

/** A tar reader's complaint as the load's refusal. */
function asRefusal(error: unknown): unknown {
  if (!(error instanceof TarFormatError)) return error;
  if (error.code === "truncated") return truncated();
  if (error.code === "too_large") {
    return new ArchiveRefusal(
      "too_large",
      `The archive's ${error.message}: Liftoff's dump writes none that large, so it was refused.`,
    );
  }
  return new ArchiveRefusal(error.code, `The archive is not a valid tar file: ${error.message}.`);
}

/** Known names only, each once. */
function checkedNames(): (name: string, type: "file" | "directory") => EntryKind {
  const seen = new Set<string>();
  return (name, type) => {
    const kind = entryKind(name, type);
    if (seen.has(name)) {
      throw new ArchiveRefusal("malformed", `The archive holds ${name} twice.`);
    }
    seen.add(name);
    return kind;
  };
}

/** The archive's entries, structurally checked: known names only, each once. */
export async function* archiveEntries(source: ArchiveSource): AsyncGenerator<ArchiveEntry> {
  const kindOf = checkedNames();
  try {
    for await (const entry of readTar(open(source), MAX_ENTRY_BYTES)) {
      yield { name: entry.name, kind: kindOf(entry.name, entry.type), data: entry.data };
    }
  } catch (error) {
    throw asRefusal(error);
  }
}

export interface IndexedEntry {
  name: string;
  kind: EntryKind;
  offset: number;
  size: number;
}

/**
 * Where each entry of an archive file lies, with the checks archiveEntries
 * makes, from the tar headers alone: connections loading side by side then
 * each read their own tables' files, as pg_restore -j reads its own.
 */
export async function indexArchive(file: string): Promise<IndexedEntry[]> {
  const kindOf = checkedNames();
  try {
    return (await indexTar(file, MAX_ENTRY_BYTES)).map((entry) => ({
      name: entry.name,
      kind: kindOf(entry.name, entry.type),
      offset: entry.offset,
      size: entry.size,
    }));
  } catch (error) {
    throw asRefusal(error);
  }
}

/** An indexed entry's body. */
export async function readIndexed(
  handle: fs.promises.FileHandle,
  entry: IndexedEntry,
): Promise<Buffer> {
  const data = Buffer.allocUnsafe(entry.size);
  const { bytesRead } = await handle.read(data, 0, entry.size, entry.offset);
  if (bytesRead !== entry.size) throw truncated();
  return data;
}

export function parseManifest(data: Buffer): DumpManifest {
  if (data.length > MAX_MANIFEST_BYTES) {
    throw new ArchiveRefusal(
      "too_large",
      `manifest.json has ${data.length} bytes, more than the ${describeBytes(MAX_MANIFEST_BYTES)} a manifest may have; it was refused.`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(data.toString("utf8"));
  } catch {
    throw new ArchiveRefusal("malformed", "manifest.json is not valid JSON.");
  }
  const head = raw as { format?: unknown; formatVersion?: unknown } | null;
  if (head?.format !== DUMP_FORMAT) {
    throw new ArchiveRefusal("malformed", "manifest.json does not describe a Liftoff dump.");
  }
  if (head.formatVersion !== DUMP_FORMAT_VERSION) {
    throw new ArchiveRefusal(
      "format_version",
      `The archive uses dump format version ${String(head.formatVersion)}; this version of Liftoff reads version ${DUMP_FORMAT_VERSION} only.`,
    );
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new ArchiveRefusal("malformed", `manifest.json is malformed: ${issues.join("; ")}.`);
  }
  return parsed.data;
}

export const sha256 = (data: Buffer) => crypto.createHash("sha256").update(data).digest("hex");

/** The same on the thread pool (WebCrypto), off the thread that feeds the database. */
export const sha256OffThread = async (data: Buffer): Promise<string> =>
  Buffer.from(await crypto.subtle.digest("SHA-256", data)).toString("hex");

const damaged = (path: string, why: string) =>
  new ArchiveRefusal(
    "damaged",
    `Data file ${path} is damaged (${why}): the archive was altered or corrupted.`,
  );

const checksumMismatch = (path: string) =>
  new ArchiveRefusal(
    "damaged",
    `Data file ${path} does not match its checksum in the manifest: the archive was altered or corrupted.`,
  );

/** What a data file really holds, checked against what the manifest says. */
export interface DataFileFacts {
  rows: number;
  bytes: number;
  compressedBytes: number;
  compressedSha256: string;
}

/**
 * Checks a data file's stored bytes against the manifest, before anything
 * of it is decompressed or loaded: a flipped byte is refused here.
 */
export async function checkCompressed(
  file: ManifestDataFile,
  compressed: Buffer,
): Promise<Pick<DataFileFacts, "compressedBytes" | "compressedSha256">> {
  const stored = await storedFacts(compressed);
  if (
    stored.compressedBytes !== file.compressedBytes ||
    stored.compressedSha256 !== file.compressedSha256
  ) {
    throw checksumMismatch(file.path);
  }
  return stored;
}

/** The stored bytes' size and checksum. */
export async function storedFacts(
  compressed: Buffer,
): Promise<Pick<DataFileFacts, "compressedBytes" | "compressedSha256">> {
  return {
    compressedBytes: compressed.length,
    compressedSha256: await sha256OffThread(compressed),
  };
}

/** Refusals of a data file that inflates past a limit (see limits.ts). */
export function inflatesTooFar(
  path: string,
  compressedBytes: number,
  by: "size" | "ratio",
): ArchiveRefusal {
  return new ArchiveRefusal(
    "too_large",
    by === "ratio"
      ? `Data file ${path} inflates to more than ${MAX_INFLATE_RATIO} times its stored ${describeBytes(compressedBytes)}, the most a data file may; it was refused.`
      : `Data file ${path} inflates to more than ${describeBytes(inflateLimit(compressedBytes).bytes)}, the most a data file may hold; it was refused.`,
  );
}

/**
 * A data file's text, in pieces from `pool` (see gunzipInto), each added to
 * `tableHash` before it is yielded. Inflating stops at the first piece past
 * a limit: the manifest's `claimedBytes` (the file is then damaged), the
 * size or ratio any data file is held to (see inflateLimit), or what is
 * left of `budget`. A file that holds what the server would not read as
 * rows (see CopyRowCounter) or does not end with a complete row is refused
 * too. Returns the text's size and row count.
 */
export function* dataFileText(
  path: string,
  compressed: Buffer,
  pool: PiecePool,
  tableHash: crypto.Hash,
  claimedBytes: number | null,
  budget: TextBudget,
): Generator<Buffer, Pick<DataFileFacts, "rows" | "bytes">> {
  const limit = inflateLimit(compressed.length);
  let bytes = 0;
  const rows = new CopyRowCounter();
  try {
    for (const piece of gunzipInto(compressed, pool)) {
      bytes += piece.length;
      if (claimedBytes !== null && bytes > claimedBytes) {
        throw damaged(path, `it inflates to more than the ${claimedBytes} bytes its manifest says`);
      }
      if (bytes > limit.bytes) throw inflatesTooFar(path, compressed.length, limit.by);
      budget.spend(piece.length);
      tableHash.update(piece);
      rows.add(piece);
      yield piece;
    }
  } catch (error) {
    if (error instanceof ArchiveRefusal) throw error;
    if (error instanceof CopyFormatError) {
      throw new ArchiveRefusal("malformed", `Data file ${path} ${error.message}.`);
    }
    throw damaged(path, (error as Error).message);
  }
  if (!rows.atRowEnd) {
    throw new ArchiveRefusal("malformed", `Data file ${path} does not end with a complete row.`);
  }
  return { rows: rows.rows, bytes };
}

/** All data files' text together, counted as it inflates, against the reader's limit. */
export class TextBudget {
  private spent = 0;

  constructor(readonly maxBytes: number) {}

  spend(bytes: number): void {
    this.spent += bytes;
    if (this.spent > this.maxBytes) throw tooMuchText(this.maxBytes);
  }
}

export const tooMuchText = (maxBytes: number) =>
  new ArchiveRefusal(
    "too_large",
    `The archive's data inflates to more than ${describeBytes(maxBytes)}, the most that is restored from one archive; it was refused.`,
  );

/** Compares one data file with its manifest entry: damage first, then lying counts. */
export function checkDataFile(file: ManifestDataFile, facts: DataFileFacts): void {
  if (
    file.compressedSha256 !== facts.compressedSha256 ||
    file.compressedBytes !== facts.compressedBytes ||
    file.bytes !== facts.bytes
  ) {
    throw checksumMismatch(file.path);
  }
  if (file.rows !== facts.rows) {
    throw new ArchiveRefusal(
      "count_mismatch",
      `The manifest says ${file.path} holds ${file.rows} rows, but it holds ${facts.rows}.`,
    );
  }
}
