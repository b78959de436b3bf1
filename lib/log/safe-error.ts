import pino from "pino";
import { databaseErrorFacts } from "@/lib/errors/database";

/** The stack's frames without its first line, which repeats the message. */
function framesOnly(stack: unknown): string | undefined {
  if (typeof stack !== "string") return undefined;
  const at = stack.indexOf("\n    at ");
  return at >= 0 ? stack.slice(at + 1) : undefined;
}

/**
 * Pino's serializer for `err`. A database error anywhere in the cause chain
 * is logged by SQLSTATE, constraint and table only (see databaseErrorFacts):
 * its message, detail, query and parameters — and the messages of the errors
 * wrapping it, which often quote them — never reach a log line. Other errors
 * as pino logs them, minus any query or parameters they carry.
 */
export function safeErrorSerializer(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const database = databaseErrorFacts(error);
  if (database) {
    return { type: error.name, database, stack: framesOnly(error.stack) };
  }
  const serialized = pino.stdSerializers.err(error) as unknown as Record<string, unknown>;
  for (const key of ["query", "params", "parameters"]) delete serialized[key];
  return serialized;
}
