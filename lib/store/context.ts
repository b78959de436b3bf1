import type { Database } from "@/db/client";
import type { EnrolmentPolicy } from "./keys";
import type { ObjectStorage } from "./object-storage";
import type { RestorableVersions } from "./restorable";
import type { RestoreQueue } from "./restore-queue";
import type { ArchiveRestorer } from "./restorer";
import type { StoreKeys } from "./sealing-key";
import type { RestoreTargets } from "./targets";

/** Everything the store's use cases need, built once (see from-env.ts) or by a test. */
export interface StoreContext {
  db: Database;
  storage: ObjectStorage;
  restorer: ArchiveRestorer;
  targets: RestoreTargets;
  versions: RestorableVersions;
  /** The sealing key pair instances seal secrets for, and the key cloud copies keep them with. */
  keys: StoreKeys;
  /** Where archives are staged while they are verified and restored. */
  workDir: string;
  /** How long a migration token stays valid. */
  tokenTtlMs: number;
  /** How long a presigned URL stays valid. */
  urlTtlSeconds: number;
  /** Verification and restore of uploaded archives, as jobs in line (restore-queue.ts). */
  restores: RestoreQueue;
  /** The most text one archive's data may inflate to (LIFTOFF_STORE_MAX_RESTORE_BYTES). */
  maxRestoreBytes: number;
  /** Rate limits on migration keys and on callers who present wrong ones (keys.ts). */
  enrolment: EnrolmentPolicy;
}

export const defaultTokenTtlMs = 24 * 60 * 60 * 1000;
export const defaultUrlTtlSeconds = 60 * 60;
