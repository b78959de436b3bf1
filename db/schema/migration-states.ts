/**
 * The states of a migration, in a module of their own with no imports: the
 * schema, the server code and the browser's components all read them from
 * here, so they are written out once.
 */
export const migrationStates = [
  "init",
  "setup",
  "dump",
  "upload",
  // Writable deltas, then read-only for the last one: the switch to the cloud.
  "sync",
  "done",
  "error",
  "cancelled",
] as const;
export type MigrationState = (typeof migrationStates)[number];

/** The states a migration never leaves. */
export const terminalMigrationStates = [
  "done",
  "error",
  "cancelled",
] as const satisfies readonly MigrationState[];

/**
 * What the instance does once the cloud has the copy: stay read-only and send
 * everyone to the cloud (a copy that drifts from its source is not a
 * migration), or go on working here.
 */
export const afterDoneChoices = ["read_only", "writable"] as const;
export type AfterDone = (typeof afterDoneChoices)[number];
