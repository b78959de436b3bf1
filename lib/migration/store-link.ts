import { z } from "zod";
import { AppError } from "@/lib/errors";
import { readErrorBody } from "@/lib/errors/http";
import { sealingKeyId } from "@/lib/secrets/sealed-box";

/**
 * The public half of the store's sealing key: the archive's secrets are
 * sealed for it. Its id is the key's fingerprint, checked here, so a key
 * garbled on the way is caught before anything is sealed for it.
 */
const sealingKey = z.object({ id: z.string(), public_key: z.string() }).refine((key) => {
  try {
    return sealingKeyId(key.public_key) === key.id;
  } catch {
    return false;
  }
}, "is not a valid X25519 public key with its fingerprint");

const created = z.object({
  external_id: z.string().min(1),
  token: z.string().min(1),
  sealing_key: sealingKey,
});

const health = z.object({
  accepts: z.boolean(),
  reason: z.string().nullable().optional(),
  // Absent from a store too old to open sealed secrets: the preflight says so.
  sealing_key: sealingKey.optional(),
});

export interface InstanceVersion {
  appVersion: string;
  schemaMigrationId: string;
  instanceId: string;
}

function unreachable(storeUrl: string, error: unknown): AppError {
  return new AppError(
    "upstream",
    "store_unreachable",
    `The cloud store at ${storeUrl} can't be reached (${error instanceof Error ? error.message : String(error)}). Check the network and LIFTOFF_STORE_URL, then try again.`,
  );
}

async function refusal(response: Response): Promise<AppError> {
  const { message } = await readErrorBody(response);
  if (response.status === 422) {
    return new AppError(
      "unprocessable",
      "store_version",
      `The cloud can't take this instance: ${message}`,
    );
  }
  if (response.status >= 500) {
    return new AppError(
      "upstream",
      "store_failing",
      `The cloud store is failing: ${message}. Try again later.`,
    );
  }
  return new AppError(
    "invalid",
    "store_refused",
    `The cloud store refused the migration: ${message}`,
  );
}

/**
 * Asks the store to open a migration: it checks the version and hands out a
 * token and the public key to seal the archive's secrets for.
 */
export async function createStoreMigration(
  storeUrl: string,
  version: InstanceVersion,
): Promise<{ externalId: string; token: string; sealingPublicKey: string }> {
  let response: Response;
  try {
    response = await fetch(`${storeUrl}/api/store/v1/migrations`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        app_version: version.appVersion,
        schema_migration_id: version.schemaMigrationId,
        instance_id: version.instanceId,
      }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw unreachable(storeUrl, error);
  }
  if (!response.ok) throw await refusal(response);
  const parsed = created.safeParse(await response.json());
  if (!parsed.success) {
    // An older store publishes no sealing key: the secrets would have nothing to be sealed for.
    throw new AppError(
      "upstream",
      "store_reply",
      `The cloud store's reply is not one this instance understands (${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}).`,
    );
  }
  return {
    externalId: parsed.data.external_id,
    token: parsed.data.token,
    sealingPublicKey: parsed.data.sealing_key.public_key,
  };
}

/** For the pre-flight check: is the store there, and would it take this version? */
export async function checkStore(
  storeUrl: string,
  version: InstanceVersion,
): Promise<{ accepts: boolean; reason: string | null; sealingKeyId: string | null }> {
  const query = new URLSearchParams({
    app_version: version.appVersion,
    schema_migration_id: version.schemaMigrationId,
  });
  let response: Response;
  try {
    response = await fetch(`${storeUrl}/api/store/v1/health?${query.toString()}`, {
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    throw unreachable(storeUrl, error);
  }
  if (!response.ok) throw await refusal(response);
  const parsed = health.parse(await response.json());
  return {
    accepts: parsed.accepts,
    reason: parsed.reason ?? null,
    sealingKeyId: parsed.sealing_key?.id ?? null,
  };
}
