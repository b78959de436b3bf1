export { handleStoreRequest } from "./api";
export type { StoreContext } from "./context";
export { defaultTokenTtlMs, defaultUrlTtlSeconds } from "./context";
export { ObjectStorage, type StorageSettings } from "./object-storage";
export { startLocalS3, localS3Credentials, type LocalS3 } from "./local-s3";
export type { ArchiveRestorer } from "./restorer";
export { countArchiveRowsStandIn } from "./row-count-restorer";
export { restorableVersions, type RestorableVersions } from "./restorable";
export {
  pgliteTargets,
  postgresTargets,
  targetDatabaseName,
  type RestoreTarget,
  type RestoreTargets,
} from "./targets";
