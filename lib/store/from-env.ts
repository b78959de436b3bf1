import { migrateDatabase, openDatabase, type DatabaseHandle } from "@/db/client";
import { DEFAULT_MAX_TEXT_BYTES } from "@/lib/dump/format/limits";
import { log } from "@/lib/log";
import { storePaths, type StoreEnv } from "./config";
import { defaultTokenTtlMs, defaultUrlTtlSeconds, type StoreContext } from "./context";
import { childProcessRestorer } from "./child-restorer";
import { defaultEnrolmentPolicy, ensureLocalKey, keyLimitsFromEnv } from "./keys";
import { localS3Credentials } from "./local-s3-credentials";
import { ObjectStorage } from "./object-storage";
import { restorableVersions } from "./restorable";
import { RestoreQueue } from "./restore-queue";
import { startStoreRestores } from "./resume";
import { loadStoreKeys } from "./sealing-key";
import { pgliteTargets, postgresTargets } from "./targets";

/** The store's own database, migrated: for the server and for its key commands. */
export async function openStoreDatabase(env: StoreEnv): Promise<DatabaseHandle> {
  const handle = await openDatabase(
    env.STORE_DATABASE_URL
      ? { databaseUrl: env.STORE_DATABASE_URL }
      : { pgliteDir: storePaths(env).database },
  );
  try {
    await migrateDatabase(handle);
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

export interface OpenedStore {
  context: StoreContext;
  handle: DatabaseHandle;
  /** Stops the restore workers (a bounded wait for restores under way), then the database. */
  close(): Promise<void>;
}

/**
 * The store as its configuration describes it: its own database (migrated),
 * object storage, keys and restore workers, with whatever a previous run
 * left without a job put back in line. With an S3 endpoint on this machine
 * and no keys, the local s3rver's credentials apply (`npm start` starts
 * one); otherwise the SDK's default credential chain.
 */
export async function openStore(env: StoreEnv): Promise<OpenedStore> {
  const paths = storePaths(env);
  const handle = await openStoreDatabase(env);
  try {
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
    const keySources = {
      sealingPrivateKey: env.LIFTOFF_STORE_SEALING_KEY,
      cloudCopyKey: env.LIFTOFF_STORE_ENCRYPTION_KEY,
      dir: paths.keys,
    };
    // Made here, once, before any restore's process reads them from the folder.
    const keys = loadStoreKeys(keySources);
    const context: StoreContext = {
      db: handle.db,
      storage,
      restorer: childProcessRestorer(keySources, {
        memoryBytes: env.LIFTOFF_STORE_RESTORE_MEMORY_MB * 1024 * 1024,
      }),
      // Restores go to the store's own server: new databases beside its own.
      targets: env.STORE_DATABASE_URL
        ? postgresTargets(env.STORE_DATABASE_URL)
        : pgliteTargets(paths.cloud),
      versions: restorableVersions(),
      keys,
      workDir: paths.work,
      tokenTtlMs: defaultTokenTtlMs,
      urlTtlSeconds: defaultUrlTtlSeconds,
      restores: new RestoreQueue(handle, {
        workers: env.LIFTOFF_STORE_RESTORE_WORKERS,
        heartbeatSeconds: env.LIFTOFF_STORE_RESTORE_HEARTBEAT_SECONDS,
      }),
      maxRestoreBytes: env.LIFTOFF_STORE_MAX_RESTORE_BYTES ?? DEFAULT_MAX_TEXT_BYTES,
      enrolment: { ...defaultEnrolmentPolicy, trustedProxies: env.LIFTOFF_TRUSTED_PROXY },
    };
    // The key the local store hands its instance (`npm start` names the file).
    // A failure leaves the instance without a key (its pre-flight says so), not the store down.
    if (env.LIFTOFF_STORE_LOCAL_KEY_FILE) {
      await ensureLocalKey(
        handle.db,
        env.LIFTOFF_STORE_LOCAL_KEY_FILE,
        keyLimitsFromEnv(env),
      ).catch((error: unknown) =>
        log.error({ err: error }, "could not hand the local instance its key"),
      );
    }
    await startStoreRestores(context);
    return {
      context,
      handle,
      async close() {
        try {
          await context.restores.stop();
        } catch (error) {
          log.warn({ err: error }, "could not stop the store's restores");
        }
        await handle.close();
      },
    };
  } catch (error) {
    await handle.close();
    throw error;
  }
}
