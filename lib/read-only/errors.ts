import { AppError, pgErrorCode } from "@/lib/errors";
import { READ_ONLY_SQLSTATE } from "./guard";

/** True for a write the database refused because read-only mode is on. */
export function isReadOnlyError(error: unknown): boolean {
  return pgErrorCode(error) === READ_ONLY_SQLSTATE;
}

export function readOnlyRefusal(): AppError {
  return new AppError(
    "read_only",
    "instance",
    "Liftoff is in read-only mode right now, so changes cannot be saved. Try again when it ends.",
  );
}
