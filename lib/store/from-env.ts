import "server-only";
import path from "node:path";
import { getDatabaseHandle } from "@/lib/runtime/database";
import { dataDir, readEnv } from "@/lib/config/env";
import { DEFAULT_MAX_TEXT_BYTES } from "@/lib/dump/limits";
import { log } from "@/lib/log";
import { defaultTokenTtlMs, defaultUrlTtlSeconds, type StoreContext } from "./context";
import { localS3Credentials } from "./local-s3-credentials";
import { ObjectStorage } from "./object-storage";
import { restorableVersions } from "./restorable";
import { restoreWithDumpLoader } from "./dump-restorer";
import { resumeStoreWork } from "./resume";
import { pgliteTargets, postgresTargets } from "./targets";

const cache = globalThis as unknown as { liftoffStore?: Promise<StoreContext | null> };

/**
 * The store as configured by the environment, or null when
 * LIFTOFF_STORE_ENABLED=false. `npm start` starts a local s3rver and passes
 * its endpoint; with an endpoint but no keys, the SDK's default credential
 * chain applies, except for that local server.
 */
export function getStore(): Promise<StoreContext | null> {
  cache.liftoffStore ??= (async () => {
    const env = readEnv();
    if (!env.LIFTOFF_STORE_ENABLED) return null;
    const handle = await getDatabaseHandle();
    const local =
      !env.LIFTOFF_S3_ACCESS_KEY_ID && env.LIFTOFF_S3_ENDPOINT?.startsWith("http://127.0.0.1");
    const storage = new ObjectStorage({
      endpoint: env.LIFTOFF_S3_ENDPOINT,
      publicEndpoint: env.LIFTOFF_S3_PUBLIC_ENDPOINT,
      bucket: env.LIFTOFF_S3_BUCKET,
      region: env.LIFTOFF_S3_REGION,
      accessKeyId: local ? localS3Credentials.accessKeyId : env.LIFTOFF_S3_ACCESS_KEY_ID,
      secretAccessKey: local
        ? localS3Credentials.secretAccessKey
        : env.LIFTOFF_S3_SECRET_ACCESS_KEY,
      kmsKeyId: env.LIFTOFF_S3_KMS_KEY_ID,
    });
    const ctx: StoreContext = {
      db: handle.db,
      storage,
      restorer: restoreWithDumpLoader,
      targets: env.DATABASE_URL
        ? postgresTargets(env.DATABASE_URL)
        : pgliteTargets(path.join(dataDir(env), "cloud")),
      versions: restorableVersions(),
      workDir: path.join(dataDir(env), "store-work"),
      tokenTtlMs: defaultTokenTtlMs,
      urlTtlSeconds: defaultUrlTtlSeconds,
      maxRestoreBytes: env.LIFTOFF_STORE_MAX_RESTORE_BYTES ?? DEFAULT_MAX_TEXT_BYTES,
      inFlight: new Set(),
    };
    // Verification and restore that a previous run of the server left unfinished.
    await resumeStoreWork(ctx).catch((error: unknown) => {
      log.error({ err: error }, "could not resume unfinished store migrations");
    });
    return ctx;
  })();
  return cache.liftoffStore;
}
