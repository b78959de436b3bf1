import { AppError, pgErrorCode } from "@/lib/errors";
import { READ_ONLY_SQLSTATE } from "./guard";
import { READ_ONLY_MESSAGE } from "./message";

/** True for a write the database refused because read-only mode is on. */
export function isReadOnlyError(error: unknown): boolean {
  return pgErrorCode(error) === READ_ONLY_SQLSTATE;
}

export function readOnlyRefusal(): AppError {
  return new AppError("read_only", "instance", READ_ONLY_MESSAGE);
}
