import "server-only";
import path from "node:path";
import { getDatabaseHandle } from "@/lib/runtime/database";
import { dataDir, readEnv } from "@/lib/config/env";
import { DEFAULT_MAX_TEXT_BYTES } from "@/lib/dump/limits";
import { log } from "@/lib/log";
import { defaultTokenTtlMs, defaultUrlTtlSeconds, type StoreContext } from "./context";
import { defaultEnrolmentPolicy, ensureLocalKey, keyLimitsFromEnv } from "./keys";
import { localS3Credentials } from "./local-s3-credentials";
import { ObjectStorage } from "./object-storage";
import { restorableVersions } from "./restorable";
import { dumpLoaderRestorer } from "./dump-restorer";
import { RestoreQueue } from "./restore-queue";
import { startStoreRestores } from "./resume";
import { registerStoreRestores } from "./running";
import { loadStoreKeys } from "./sealing-key";
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
    const keys = loadStoreKeys({
      sealingPrivateKey: env.LIFTOFF_STORE_SEALING_KEY,
      cloudCopyKey: env.LIFTOFF_STORE_ENCRYPTION_KEY,
      dir: path.join(dataDir(env), "store-keys"),
    });
    const ctx: StoreContext = {
      db: handle.db,
      storage,
      restorer: dumpLoaderRestorer(keys),
      targets: env.DATABASE_URL
        ? postgresTargets(env.DATABASE_URL)
        : pgliteTargets(path.join(dataDir(env), "cloud")),
      versions: restorableVersions(),
      keys,
      workDir: path.join(dataDir(env), "store-work"),
      tokenTtlMs: defaultTokenTtlMs,
      urlTtlSeconds: defaultUrlTtlSeconds,
      restores: new RestoreQueue(handle, { workers: env.LIFTOFF_STORE_RESTORE_WORKERS }),
      maxRestoreBytes: env.LIFTOFF_STORE_MAX_RESTORE_BYTES ?? DEFAULT_MAX_TEXT_BYTES,
      enrolment: { ...defaultEnrolmentPolicy, trustedProxies: env.LIFTOFF_TRUSTED_PROXY },
    };
    // The local store's key for its instance (scripts/start.mjs sets the file).
    // TODO(store process): moves to scripts/store.ts with the store.
    // A failure here leaves the instance without a key (its pre-flight says so), not the store down.
    if (env.LIFTOFF_STORE_LOCAL_KEY_FILE) {
      await ensureLocalKey(
        handle.db,
        env.LIFTOFF_STORE_LOCAL_KEY_FILE,
        keyLimitsFromEnv(env),
      ).catch((error: unknown) =>
        log.error({ err: error }, "could not hand the local instance its key"),
      );
    }
    registerStoreRestores(ctx.restores);
    // The restore workers, and whatever a previous run of the server left without a job.
    await startStoreRestores(ctx).catch((error: unknown) => {
      log.error({ err: error }, "could not start the store's restores");
    });
    return ctx;
  })();
  return cache.liftoffStore;
}
