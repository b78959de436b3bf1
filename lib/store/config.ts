import path from "node:path";
import { z } from "zod";
import { parseEnv, trustedProxySchema } from "@/lib/config/env";

/**
 * The store's own configuration (`npm run store`). The instance has its own
 * (lib/config/env.ts) and never reads these: object storage, sealing keys
 * and the restore databases belong to the cloud side alone.
 */
const storeEnvSchema = z.object({
  /** The store's own database; unset: an embedded one in <data dir>/store-db. */
  STORE_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "STORE_DATABASE_URL must be a postgres:// URL")
    .optional(),
  STORE_HOST: z.string().min(1).default("127.0.0.1"),
  /** 0 picks a free port (the local store `npm start` runs beside the instance). */
  STORE_PORT: z.coerce
    .number({ error: "STORE_PORT must be a port number" })
    .int("STORE_PORT must be a whole number")
    .min(0, "STORE_PORT must be a port number")
    .max(65535, "STORE_PORT must be a port number")
    .default(4000),
  LIFTOFF_DATA_DIR: z.string().min(1).default(".data"),
  /** Restores (verify + load of an uploaded dump) one store process runs at once; the rest wait in line. */
  LIFTOFF_STORE_RESTORE_WORKERS: z.coerce
    .number({ error: "LIFTOFF_STORE_RESTORE_WORKERS must be a whole number" })
    .int("LIFTOFF_STORE_RESTORE_WORKERS must be a whole number")
    .min(1, "LIFTOFF_STORE_RESTORE_WORKERS must be at least 1")
    .max(64, "LIFTOFF_STORE_RESTORE_WORKERS must be at most 64")
    .default(1),
  /**
   * How long a restore may go without its node's heartbeat before another
   * store node takes it over (the first died).
   */
  LIFTOFF_STORE_RESTORE_HEARTBEAT_SECONDS: z.coerce
    .number({ error: "LIFTOFF_STORE_RESTORE_HEARTBEAT_SECONDS must be a whole number" })
    .int("LIFTOFF_STORE_RESTORE_HEARTBEAT_SECONDS must be a whole number")
    .min(10, "LIFTOFF_STORE_RESTORE_HEARTBEAT_SECONDS must be at least 10")
    .max(3600, "LIFTOFF_STORE_RESTORE_HEARTBEAT_SECONDS must be at most 3600")
    .default(60),
  /**
   * The most memory one restore may use, in MiB: each restore runs in a
   * process of its own, stopped when it goes over (child-restorer.ts).
   */
  LIFTOFF_STORE_RESTORE_MEMORY_MB: z.coerce
    .number({ error: "LIFTOFF_STORE_RESTORE_MEMORY_MB must be a whole number" })
    .int("LIFTOFF_STORE_RESTORE_MEMORY_MB must be a whole number")
    .min(128, "LIFTOFF_STORE_RESTORE_MEMORY_MB must be at least 128")
    .default(1024),
  /**
   * The store's X25519 private key (base64 of its raw 32 bytes): instances
   * seal migration archives' secrets for its public key. Unset: made once
   * and kept in <data dir>/store-keys/ (see sealing-key.ts).
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
   * archive, in bytes; unset: lib/dump/format/limits.ts's default.
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
  /** Limits a migration key gets when issued (each key keeps its own; see keys.ts). */
  LIFTOFF_STORE_KEY_MAX_OPEN_MIGRATIONS: z.coerce
    .number({ error: "LIFTOFF_STORE_KEY_MAX_OPEN_MIGRATIONS must be a whole number" })
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
  /** The proxy in front of the store: failed key attempts are charged to the client it names. */
  LIFTOFF_TRUSTED_PROXY: trustedProxySchema,
});

export type StoreEnv = z.infer<typeof storeEnvSchema>;

export function readStoreEnv(source: NodeJS.ProcessEnv = process.env): StoreEnv {
  return parseEnv(storeEnvSchema, source);
}

/** Where the store keeps what is its own on this machine. */
export function storePaths(env: StoreEnv) {
  const root = path.resolve(env.LIFTOFF_DATA_DIR);
  return {
    /** The embedded database when STORE_DATABASE_URL is unset. */
    database: path.join(root, "store-db"),
    keys: path.join(root, "store-keys"),
    work: path.join(root, "store-work"),
    /** Embedded restore targets: one PGlite folder per migration. */
    cloud: path.join(root, "cloud"),
  };
}
