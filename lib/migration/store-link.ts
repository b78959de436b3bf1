import { z } from "zod";
import { AppError } from "@/lib/errors";
import { readErrorBody } from "@/lib/errors/http";

const created = z.object({
  external_id: z.string().min(1),
  token: z.string().min(1),
});

const health = z.object({
  accepts: z.boolean(),
  reason: z.string().nullable().optional(),
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

/** Asks the store to open a migration: it checks the version and hands out a token. */
export async function createStoreMigration(
  storeUrl: string,
  version: InstanceVersion,
): Promise<{ externalId: string; token: string }> {
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
  const parsed = created.parse(await response.json());
  return { externalId: parsed.external_id, token: parsed.token };
}

/** For the pre-flight check: is the store there, and would it take this version? */
export async function checkStore(
  storeUrl: string,
  version: InstanceVersion,
): Promise<{ accepts: boolean; reason: string | null }> {
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
  return { accepts: parsed.accepts, reason: parsed.reason ?? null };
}
