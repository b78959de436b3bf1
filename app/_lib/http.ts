import "server-only";
import { AppError } from "@/lib/errors";
import { jsonError } from "@/lib/errors/http";
import { log } from "@/lib/log";
import { isReadOnlyError, readOnlyRefusal } from "@/lib/read-only";

/**
 * What every route handler answers on failure, in the one shape of
 * lib/errors/http: `{"error": {"code", "message"}}`. Unknown errors are logged
 * and hidden.
 */
export function errorResponse(error: unknown): Response {
  const known = isReadOnlyError(error) ? readOnlyRefusal() : error;
  if (known instanceof AppError) return jsonError(known.status, known.code, known.message);
  log.error({ err: error }, "route failed");
  return jsonError(500, "internal:error", "Something went wrong; the error was logged.");
}
