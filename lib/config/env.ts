import { isIP } from "node:net";
import path from "node:path";
import { z } from "zod";

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
  // The store (cloud side) is on unless switched off: `npm start` runs the
  // whole trip on one machine.
  LIFTOFF_STORE_ENABLED: z
    .enum(["true", "false", "1", "0"])
    .default("true")
    .transform((v) => v === "true" || v === "1"),
  /** Restores (verify + load of an uploaded dump) one store process runs at once; the rest wait in line. */
  LIFTOFF_STORE_RESTORE_WORKERS: z.coerce
    .number()
    .int("LIFTOFF_STORE_RESTORE_WORKERS must be a whole number")
    .min(1, "LIFTOFF_STORE_RESTORE_WORKERS must be at least 1")
    .max(64, "LIFTOFF_STORE_RESTORE_WORKERS must be at most 64")
    .default(1),
  /** Where this instance's "Migrate to Cloud" sends it; default: this server's own store. */
  LIFTOFF_STORE_URL: z
    .url()
    .transform((u) => u.replace(/\/+$/, ""))
    .optional(),
  /**
   * The store's X25519 private key (base64 of its raw 32 bytes): instances
   * seal migration archives' secrets for its public key. Unset: made once
   * and kept in <data dir>/store-keys/ (see lib/store/sealing-key.ts).
   */
  LIFTOFF_STORE_SEALING_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=$/, "LIFTOFF_STORE_SEALING_KEY must be 32 bytes in base64")
    .optional(),
  /** How the store's cloud copies keep secrets: LIFTOFF_ENCRYPTION_KEY's forms; unset, made once like the sealing key. */
  LIFTOFF_STORE_ENCRYPTION_KEY: z
    .string()
    .min(16, "LIFTOFF_STORE_ENCRYPTION_KEY must be at least 16 characters")
    .optional(),
  LIFTOFF_S3_ENDPOINT: z.url().optional(),
  /** Where instances reach the storage, when it differs from the store's own view. */
  LIFTOFF_S3_PUBLIC_ENDPOINT: z.url().optional(),
  LIFTOFF_S3_BUCKET: z.string().min(1).default("liftoff-migrations"),
  LIFTOFF_S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  LIFTOFF_S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  LIFTOFF_S3_REGION: z.string().min(1).default("us-east-1"),
  LIFTOFF_S3_KMS_KEY_ID: z.string().min(1).optional(),
  /**
   * The most text (uncompressed COPY data) the store restores from one
   * archive, in bytes; unset: lib/dump/limits.ts's default.
   */
  LIFTOFF_STORE_MAX_RESTORE_BYTES: z
    .string()
    .regex(/^[0-9]+$/, "LIFTOFF_STORE_MAX_RESTORE_BYTES must be a whole number of bytes")
    .transform(Number)
    .refine(
      (bytes) => bytes >= 1 << 20 && Number.isSafeInteger(bytes),
      "LIFTOFF_STORE_MAX_RESTORE_BYTES must be at least 1048576 (1 MiB)",
    )
    .optional(),
  /** Limits a migration key gets when issued (each key keeps its own; see lib/store/keys.ts). */
  LIFTOFF_STORE_KEY_MAX_OPEN_MIGRATIONS: z.coerce
    .number()
    .int("LIFTOFF_STORE_KEY_MAX_OPEN_MIGRATIONS must be a whole number")
    .min(1, "LIFTOFF_STORE_KEY_MAX_OPEN_MIGRATIONS must be at least 1")
    .optional(),
  LIFTOFF_STORE_KEY_MAX_BYTES: z
    .string()
    .regex(/^[0-9]+$/, "LIFTOFF_STORE_KEY_MAX_BYTES must be a whole number of bytes")
    .transform(Number)
    .refine(
      (bytes) => bytes >= 1 && Number.isSafeInteger(bytes),
      "LIFTOFF_STORE_KEY_MAX_BYTES must be at least 1",
    )
    .optional(),
  /** Where the local store keeps the key it hands its instance (`npm start` sets it). */
  LIFTOFF_STORE_LOCAL_KEY_FILE: z.string().min(1).optional(),
  /** The instance's migration key, when no admin pasted one on Settings. */
  LIFTOFF_CLOUD_KEY: z.string().min(1).optional(),
  /** A file holding the instance's migration key (after LIFTOFF_CLOUD_KEY). */
  LIFTOFF_CLOUD_KEY_FILE: z.string().min(1).optional(),
  /**
   * The reverse proxy in front of the app (comma-separated IP addresses):
   * only a request from one of them may say, in X-Forwarded-For, which
   * client it forwards. Unset: the client is the socket's peer.
   */
  LIFTOFF_TRUSTED_PROXY: z
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
    .default([]),
});

export type Env = z.infer<typeof envSchema>;

/**
 * Reads and validates the environment. Empty strings count as unset, so a
 * blank line in a service file does not switch engines by accident.
 */
export function readEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const cleaned = Object.fromEntries(
    Object.entries(source).filter(([, value]) => value !== undefined && value !== ""),
  );
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join(".")}: ${issue.message}`,
    );
    throw new Error(`Invalid configuration: ${problems.join("; ")}`);
  }
  return parsed.data;
}

export function dataDir(env: Env = readEnv()): string {
  return path.resolve(env.LIFTOFF_DATA_DIR);
}
