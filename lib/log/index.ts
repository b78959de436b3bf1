import pino from "pino";
import { readEnv } from "@/lib/config/env";

/**
 * One structured line per event. Secrets never go in: the redact list is a
 * second line of defence for fields that should not have been logged at all.
 */
export const log = pino({
  level: readEnv().LIFTOFF_LOG_LEVEL,
  base: { app: "liftoff" },
  redact: {
    paths: ["password", "*.password", "passwordHash", "*.passwordHash", "token", "*.token", "key"],
    censor: "[redacted]",
  },
});
