import { databaseErrorFacts, systemErrorCode } from "./database";
import { AppError } from "./index";

/**
 * Errors whose messages are written for the person reading them: they name
 * what went wrong in the archive, the upload or the key, never a value.
 */
const publicErrorNames = new Set([
  "AppError",
  "ArchiveRefusal",
  "UploadError",
  "SecretKeyError",
  "RotationRefusedError",
]);

/**
 * What the browser and stored failure messages (cloud_migration.error, a
 * store migration's reason) may say about `error`, e.g. "The migration
 * stopped on a database error (SQLSTATE 23505, table data_sources)". The
 * rest goes to the log (see lib/log/safe-error.ts).
 */
export function publicFailureMessage(error: unknown, subject: string): string {
  if (error instanceof AppError) return error.message;
  if (error instanceof Error && publicErrorNames.has(error.name)) return error.message;
  const database = databaseErrorFacts(error);
  if (database) {
    const where = [
      `SQLSTATE ${database.sqlstate ?? "unknown"}`,
      ...(database.constraint ? [`constraint ${database.constraint}`] : []),
      ...(database.table ? [`table ${database.table}`] : []),
    ].join(", ");
    return `${subject} stopped on a database error (${where}). Details are in the server log.`;
  }
  const code = systemErrorCode(error);
  return `${subject} stopped on an unexpected error${code ? ` (${code})` : ""}. Details are in the server log.`;
}
