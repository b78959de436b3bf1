export { handleStoreRequest } from "./api";
export type { StoreContext } from "./context";
export { defaultTokenTtlMs, defaultUrlTtlSeconds } from "./context";
export { ObjectStorage, type StorageSettings } from "./object-storage";
// The local s3rver (./local-s3) is left out on purpose: it is for tests and scripts, not the server bundle.
export { localS3Credentials } from "./local-s3-credentials";
export type { ArchiveRestorer } from "./restorer";
export { RestoreQueue, storeBossSchema, type RestoreQueueOptions } from "./restore-queue";
export { resumeStoreWork, runRestoreJob, startStoreRestores } from "./resume";
export { restorableVersions, type RestorableVersions } from "./restorable";
export {
  pgliteTargets,
  postgresTargets,
  targetDatabaseName,
  type RestoreTarget,
  type RestoreTargets,
} from "./targets";
