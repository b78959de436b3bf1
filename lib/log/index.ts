import pino, { type DestinationStream } from "pino";
import { readEnv } from "@/lib/config/env";
import { safeErrorSerializer } from "./safe-error";

/**
 * One structured line per event. Secrets never go in: errors are serialized
 * by safeErrorSerializer (database errors by SQLSTATE and names only), and
 * the redact list is a second line of defence for fields that should not
 * have been logged at all. A destination other than stdout is for tests.
 */
export function createLogger(destination?: DestinationStream): pino.Logger {
  const options: pino.LoggerOptions = {
    level: readEnv().LIFTOFF_LOG_LEVEL,
    base: { app: "liftoff" },
    serializers: { err: safeErrorSerializer },
    redact: {
      paths: [
        "password",
        "*.password",
        "passwordHash",
        "*.passwordHash",
        "token",
        "*.token",
        "key",
      ],
      censor: "[redacted]",
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

export const log = createLogger();
