import crypto from "node:crypto";
import { ArchiveRefusal } from "../format/errors";
import { PiecePool } from "../format/inflate";
import { defaultArchiveLimits, inflateLimit, type ArchiveLimits } from "../format/limits";
import { KEY_LIST_ORDER_OFFSET, listedStreams, type DumpManifest } from "../format/manifest";
import {
  archiveEntries,
  checkDataFile,
  dataFileText,
  inflatesTooFar,
  parseManifest,
  sha256,
  type ArchiveEntry,
  type ArchiveSource,
  storedFacts,
  TextBudget,
  tooMuchText,
  type DataFileFacts,
} from "../format/read-archive";
import { codeMigrations, planMigrations, type CodeMigration } from "../migrations";

export interface VerifiedArchive {
  manifest: DumpManifest;
  /** Migrations to apply before the data (the archive's schema) and after it (newer ones). */
  migrations: { before: CodeMigration[]; after: CodeMigration[] };
  /** What its data was held to, and is held to again as it loads. */
  limits: ArchiveLimits;
}

/** `data/003-users.2.tsv.gz` belongs to the table stream `003-users`. */
function streamOf(path: string): string {
  return path.slice("data/".length).replace(/\.[0-9]+\.tsv\.gz$/, "");
}

/**
 * What an archive holds, tallied while it is read: the facts of every data
 * file, the digest of each table's chunks in order, and the small entries.
 */
export class ArchiveTally {
  readonly files = new Map<string, DataFileFacts>();
  readonly streams = new Map<string, { hash: crypto.Hash; paths: string[] }>();
  manifestData: Buffer | null = null;
  schemaSha: string | null = null;
  restoreSha: string | null = null;
  /** All data files' text so far, against the reader's limit. */
  readonly text: TextBudget;

  constructor(limits: ArchiveLimits = defaultArchiveLimits) {
    this.text = new TextBudget(limits.maxTextBytes);
  }

  /** Starts a data file; its uncompressed bytes go into the returned table digest. */
  startFile(path: string): crypto.Hash {
    const key = streamOf(path);
    const stream = this.streams.get(key) ?? { hash: crypto.createHash("sha256"), paths: [] };
    stream.paths.push(path);
    this.streams.set(key, stream);
    return stream.hash;
  }

  endFile(path: string, facts: DataFileFacts): void {
    this.files.set(path, facts);
  }

  /** Any entry but a data file. */
  other(entry: ArchiveEntry): void {
    if (entry.kind === "manifest") this.manifestData = entry.data;
    else if (entry.kind === "schema") this.schemaSha = sha256(entry.data);
    else if (entry.kind === "restore") this.restoreSha = sha256(entry.data);
  }
}

export const missingFile = (path: string, table: string) =>
  new ArchiveRefusal(
    "malformed",
    `Data file ${path} of table ${table} is missing from the archive.`,
  );

export const unlistedFile = (path: string) =>
  new ArchiveRefusal("malformed", `Data file ${path} is not listed in the manifest.`);

/**
 * The manifest's claims against the limits any archive is held to, before
 * anything is inflated: each file's text, how far it inflates, and all of it.
 */
function checkClaimedSizes(manifest: DumpManifest, limits: ArchiveLimits): void {
  let total = 0;
  for (const table of listedStreams(manifest)) {
    for (const file of table.files) {
      const limit = inflateLimit(file.compressedBytes);
      if (file.bytes > limit.bytes) throw inflatesTooFar(file.path, file.compressedBytes, limit.by);
      total += file.bytes;
    }
  }
  if (total > limits.maxTextBytes) throw tooMuchText(limits.maxTextBytes);
}

/** The manifest's own checks, and this code's migrations planned against it. */
export function readManifest(
  data: Buffer | null,
  known: CodeMigration[],
  limits: ArchiveLimits = defaultArchiveLimits,
): VerifiedArchive {
  if (!data) {
    throw new ArchiveRefusal(
      "malformed",
      "The archive has no manifest.json: it is not a Liftoff dump, or it is incomplete.",
    );
  }
  const manifest = parseManifest(data);
  checkClaimedSizes(manifest, limits);
  const migrations = planMigrations(manifest.schema.migrations, known);
  if (manifest.schema.migrations.at(-1)?.id !== manifest.schema.migrationId) {
    throw new ArchiveRefusal("malformed", "The manifest's migration id is not its last migration.");
  }
  return { manifest, migrations, limits };
}

/** Compares everything tallied with the manifest: checksums, counts, order, nothing extra. */
export function checkTally(manifest: DumpManifest, tally: ArchiveTally): void {
  if (
    tally.schemaSha !== manifest.schema.sha256 ||
    tally.restoreSha !== manifest.restoreSql.sha256
  ) {
    throw new ArchiveRefusal(
      "damaged",
      "schema.sql or restore.sql is missing or does not match its checksum in the manifest.",
    );
  }
  const { files, streams } = tally;
  const names = new Set<string>();
  const listed = new Set<string>();
  for (const table of listedStreams(manifest)) {
    const key = `${String(table.order).padStart(3, "0")}-${table.name}`;
    // A delta lists each table twice: its rows, and its changed keys (another order).
    if (names.has(key) || (table.order < KEY_LIST_ORDER_OFFSET && names.has(table.name))) {
      throw new ArchiveRefusal("malformed", `The manifest lists table ${table.name} twice.`);
    }
    names.add(key);
    if (table.order < KEY_LIST_ORDER_OFFSET) names.add(table.name);
    let rows = 0;
    let bytes = 0;
    for (const file of table.files) {
      const facts = files.get(file.path);
      if (!facts || streamOf(file.path) !== key) throw missingFile(file.path, table.name);
      checkDataFile(file, facts);
      listed.add(file.path);
      rows += facts.rows;
      bytes += facts.bytes;
    }
    if (rows !== table.rows || bytes !== table.bytes) {
      throw new ArchiveRefusal(
        "count_mismatch",
        `The manifest says table ${table.name} has ${table.rows} rows (${table.bytes} bytes), but its data files hold ${rows} (${bytes} bytes).`,
      );
    }
    const stream = streams.get(key);
    const inOrder = (stream?.paths ?? []).join() === table.files.map((f) => f.path).join();
    const digest = stream ? stream.hash.digest("hex") : sha256(Buffer.alloc(0));
    if (!inOrder || digest !== table.sha256) {
      throw new ArchiveRefusal(
        "damaged",
        `Table ${table.name} does not match its checksum in the manifest: the archive was altered or corrupted.`,
      );
    }
  }
  for (const path of files.keys()) {
    if (!listed.has(path)) throw unlistedFile(path);
  }
}

/**
 * Reads the whole archive and checks it against its manifest: structure,
 * names, every checksum, every count, and that this code knows its schema.
 * Nothing is written anywhere. `loadDumpArchive` runs this first when it
 * cannot find the manifest at the end of the file.
 */
export async function verifyDumpArchive(
  source: ArchiveSource,
  known: CodeMigration[] = codeMigrations(),
  limits: ArchiveLimits = defaultArchiveLimits,
): Promise<VerifiedArchive> {
  const tally = new ArchiveTally(limits);
  const pool = new PiecePool();
  for await (const entry of archiveEntries(source)) {
    if (entry.kind !== "data") {
      tally.other(entry);
      continue;
    }
    const tableHash = tally.startFile(entry.name);
    // The manifest comes last: here only the limits bound a file's text.
    const text = dataFileText(entry.name, entry.data, pool, tableHash, null, tally.text);
    let next = text.next();
    for (; !next.done; next = text.next()) pool.giveBack(next.value);
    tally.endFile(entry.name, { ...next.value, ...(await storedFacts(entry.data)) });
  }
  const verified = readManifest(tally.manifestData, known, limits);
  checkTally(verified.manifest, tally);
  return verified;
}
