import { z } from "zod";
import { AppError } from "@/lib/errors";
import { StoreClient, StoreRequestError } from "@/lib/upload";

/**
 * The admin's words for the two calls made before a migration has a token
 * (open one, ask whether the store would take this version). The calls
 * themselves are StoreClient's; what went wrong becomes an AppError here,
 * in one place.
 */

export interface InstanceVersion {
  appVersion: string;
  schemaMigrationId: string;
  instanceId: string;
}

function storeError(storeUrl: string, error: unknown): AppError {
  if (error instanceof StoreRequestError) {
    if (error.status === 401 || error.status === 403) {
      return new AppError(
        "invalid",
        "cloud_key",
        `The cloud store refused this instance's migration key: ${error.reason} Paste a valid key on Settings.`,
      );
    }
    if (error.status === 413 || error.status === 429) {
      return new AppError(
        "invalid",
        "cloud_key_limit",
        `The cloud store limits this instance's migration key: ${error.reason}`,
      );
    }
    if (error.status === 422) {
      return new AppError(
        "unprocessable",
        "store_version",
        `The cloud can't take this instance: ${error.reason}`,
      );
    }
    if (error.status >= 500) {
      return new AppError(
        "upstream",
        "store_failing",
        `The cloud store is failing: ${error.reason}. Try again later.`,
      );
    }
    return new AppError(
      "invalid",
      "store_refused",
      `The cloud store refused the migration: ${error.reason}`,
    );
  }
  if (error instanceof z.ZodError) {
    // An older store publishes no sealing key: the secrets would have nothing to be sealed for.
    return new AppError(
      "upstream",
      "store_reply",
      `The cloud store's reply is not one this instance understands (${error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}).`,
    );
  }
  // Neither a refusal nor a reply: the request never got an answer.
  return new AppError(
    "upstream",
    "store_unreachable",
    `The cloud store at ${storeUrl} can't be reached (${error instanceof Error ? error.message : String(error)}). Check the network and LIFTOFF_CLOUD_URL, then try again.`,
  );
}

/**
 * Asks the store to open a migration: it checks the version and hands out a
 * token and the public key to seal the archive's secrets for.
 */
export async function createStoreMigration(
  storeUrl: string,
  version: InstanceVersion,
  migrationKey: string | null,
): Promise<{ externalId: string; token: string; sealingPublicKey: string }> {
  if (!migrationKey) throw noCloudKey();
  const created = await StoreClient.createMigration(
    storeUrl,
    {
      app_version: version.appVersion,
      schema_migration_id: version.schemaMigrationId,
      instance_id: version.instanceId,
    },
    migrationKey,
  ).catch((error: unknown) => {
    throw storeError(storeUrl, error);
  });
  return {
    externalId: created.external_id,
    token: created.token,
    sealingPublicKey: created.sealing_key.public_key,
  };
}

export function noCloudKey(): AppError {
  return new AppError(
    "invalid",
    "cloud_key",
    "This instance has no migration key. Ask the cloud's operator for one (npm run store -- issue-key) and paste it on Settings, or set LIFTOFF_CLOUD_KEY.",
  );
}

/** For the pre-flight check: does the store know this key, and whose is it? */
export async function checkCloudKey(
  storeUrl: string,
  migrationKey: string,
): Promise<{ label: string; prefix: string }> {
  return StoreClient.checkKey(storeUrl, migrationKey).catch((error: unknown) => {
    throw storeError(storeUrl, error);
  });
}

/** For the pre-flight check: is the store there, and would it take this version? */
export async function checkStore(
  storeUrl: string,
  version: InstanceVersion,
): Promise<{ accepts: boolean; reason: string | null; sealingKeyId: string | null }> {
  const health = await StoreClient.health(storeUrl, {
    app_version: version.appVersion,
    schema_migration_id: version.schemaMigrationId,
  }).catch((error: unknown) => {
    throw storeError(storeUrl, error);
  });
  return {
    accepts: health.accepts,
    reason: health.reason ?? null,
    sealingKeyId: health.sealing_key?.id ?? null,
  };
}
