import type { ManifestDataFile, ManifestTable } from "../format/manifest";
import type { VerifiedArchive } from "../verify/verify";
import type { ResealKeys } from "./archive-secrets";

/*
 * What a load works from and what it reports, shared by the one-transaction
 * load (load.ts) and the load on several connections (parallel/).
 */

export interface LoadProgress {
  rowsDone: number;
  rowsTotal: number;
}

export interface LoadReport {
  verified: VerifiedArchive;
  /** Rows per table as the target's server stored them (see StoredRows). */
  tables: { name: string; rows: number }[];
  /** Migrations newer than the archive, applied after its data. */
  migrationsApplied: string[];
}

/** A data file as the manifest lists it, with its table. */
export interface ListedFile {
  table: ManifestTable;
  file: ManifestDataFile;
}

/** Loads one data file's stored bytes (see SequentialCopies). */
export type LoadDataFile = (listed: ListedFile, compressed: Buffer) => Promise<void>;

/** What a load works from: the verified manifest and the data files it lists. */
export interface LoadPlan {
  verified: VerifiedArchive;
  /** The manifest's bytes when they were read from the archive's end before the data. */
  tail: Buffer | null;
  byPath: Map<string, ListedFile>;
  progress: LoadProgress;
  onProgress?: (progress: LoadProgress) => void;
  /** A passphrase archive's secrets, to be stored as this instance stores them. */
  reseal?: ResealKeys;
}
