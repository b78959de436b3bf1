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
