import "server-only";
import { AppError } from "@/lib/errors";
import { log } from "@/lib/log";
import { isReadOnlyError, readOnlyRefusal } from "@/lib/read-only";

/**
 * The JSON error every route handler answers with: `{"error": kind, "code",
 * "message"}`, where kind is e.g. `read_only` or `forbidden`. Unknown errors are
 * logged and hidden.
 */
export function errorResponse(error: unknown): Response {
  const known = isReadOnlyError(error) ? readOnlyRefusal() : error;
  if (known instanceof AppError) {
    return Response.json(
      { error: known.kind, code: known.code, message: known.message },
      { status: known.status },
    );
  }
  log.error({ err: error }, "route failed");
  return Response.json(
    {
      error: "internal",
      code: "internal:error",
      message: "Something went wrong; the error was logged.",
    },
    { status: 500 },
  );
}
