import { isIP } from "node:net";
import path from "node:path";
import { z } from "zod";

/**
 * The reverse proxy in front of a server (comma-separated IP addresses):
 * only a request from one of them may say, in X-Forwarded-For, which client
 * it forwards. Unset: the client is the socket's peer.
 */
export const trustedProxySchema = z
  .string()
  .transform((v) =>
    v
      .split(",")
      .map((a) => a.trim())
      .filter(Boolean),
  )
  .refine(
    (list) => list.every((a) => isIP(a) !== 0),
    "LIFTOFF_TRUSTED_PROXY must be IP addresses separated by commas",
  )
  .default([]);

const envSchema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "DATABASE_URL must be a postgres:// URL")
    .optional(),
  LIFTOFF_DATA_DIR: z.string().min(1).default(".data"),
  LIFTOFF_ENCRYPTION_KEY: z
    .string()
    .min(16, "LIFTOFF_ENCRYPTION_KEY must be at least 16 characters")
    .optional(),
  LIFTOFF_LOG_LEVEL: z
    .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
    .default("info"),
  /**
   * The cloud store "Migrate to Cloud" sends this instance to. `npm start`
   * sets it to the local store it starts beside the instance when unset;
   * otherwise `npm run store`'s default address.
   */
  LIFTOFF_CLOUD_URL: z
    .url()
    .transform((u) => u.replace(/\/+$/, ""))
    .default("http://127.0.0.1:4000"),
  /** The instance's migration key, when no admin pasted one on Settings. */
  LIFTOFF_CLOUD_KEY: z.string().min(1).optional(),
  /** A file holding the instance's migration key (after LIFTOFF_CLOUD_KEY). */
  LIFTOFF_CLOUD_KEY_FILE: z.string().min(1).optional(),
  /**
   * The reverse proxy in front of the app (comma-separated IP addresses):
   * only a request from one of them may say, in X-Forwarded-For, which
   * client it forwards. Unset: the client is the socket's peer.
   */
  LIFTOFF_TRUSTED_PROXY: trustedProxySchema,
});

export type Env = z.infer<typeof envSchema>;

/** Reads and validates the instance's environment (the store has its own: lib/store/config.ts). */
export function readEnv(source: NodeJS.ProcessEnv = process.env): Env {
  return parseEnv(envSchema, source);
}

/**
 * Reads and validates an environment against a schema. Empty strings count
 * as unset, so a blank line in a service file does not switch engines by
 * accident.
 */
export function parseEnv<S extends z.ZodType>(schema: S, source: NodeJS.ProcessEnv): z.output<S> {
  const cleaned = Object.fromEntries(
    Object.entries(source).filter(([, value]) => value !== undefined && value !== ""),
  );
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join(".")}: ${issue.message}`,
    );
    throw new Error(`Invalid configuration: ${problems.join("; ")}`);
  }
  return parsed.data;
}

export function dataDir(env: { LIFTOFF_DATA_DIR: string } = readEnv()): string {
  return path.resolve(env.LIFTOFF_DATA_DIR);
}
