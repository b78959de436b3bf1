export { archivePathFor, migrationContextFromEnv, type MigrationContext } from "./context";
export {
  cloudKeySourceWords,
  cloudKeySummary,
  saveCloudKey,
  type CloudKeySource,
} from "./cloud-key";
export { cancelMigration, schemaMigrationId, startMigration } from "./control";
export {
  estimateCopySeconds,
  preflightPasses,
  runPreflight,
  type CheckStatus,
  type PreflightCheck,
} from "./preflight";
export { movedTo, resumeEditingHere, MOVED_REASON } from "./cut-over";
export { recoverMigrations } from "./recover";
export {
  eventsSince,
  getMigration,
  recentMigrations,
  toView,
  unfinishedMigrations,
  type MigrationView,
} from "./row";
export { runMigration } from "./run";
export { cloudCopyOf, storeClientFor, type CloudCopy } from "./cloud-copy";
export { canTransition, isTerminal, progressBands, progressFor, stateLabels } from "./states";
