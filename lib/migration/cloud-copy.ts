import { eq } from "drizzle-orm";
import { cloudMigration } from "@/db/schema";
import { assertAdmin, type Actor } from "@/lib/auth/actor";
import { decryptSecret } from "@/lib/secrets/cipher";
import { StoreClient } from "@/lib/upload";
import { publicUploadCause } from "@/lib/upload/errors";
import type { MigrationContext } from "./context";
import type { MigrationRow } from "./row";

/**
 * The client for the store a migration talks to, with its token; null when
 * the migration never got that far (no store link yet).
 */
export function storeClientFor(context: MigrationContext, row: MigrationRow): StoreClient | null {
  if (!row.externalId || !row.storeToken || !row.storeUrl) return null;
  return new StoreClient(
    row.storeUrl,
    row.externalId,
    decryptSecret(row.storeToken, context.secretKey),
  );
}

export interface CloudCopy {
  externalId: string;
  storeUrl: string | null;
  /** The store's state of the copy, or null when it could not be asked. */
  state: string | null;
  tables: Record<string, number> | null;
  reason: string | null;
  /** Why the store could not be asked (its own words, or "could not be reached"). */
  unavailable: string | null;
}

/**
 * What the cloud holds of one of this instance's migrations, as the store
 * reports it to the migration's own token: the store is a server of its
 * own, and this instance reads it through the contract like any caller. For
 * admins only. When the store cannot be asked, the instance's own record of
 * what was restored stands in, with the reason.
 */
export async function cloudCopyOf(
  context: MigrationContext,
  actor: Actor,
  externalId: string,
): Promise<CloudCopy | null> {
  assertAdmin(actor);
  const [row] = await context.handle.db
    .select()
    .from(cloudMigration)
    .where(eq(cloudMigration.externalId, externalId));
  if (!row) return null;
  const fallback: CloudCopy = {
    externalId,
    storeUrl: row.storeUrl,
    state: null,
    tables: row.restoredTables,
    reason: null,
    unavailable: null,
  };
  const store = storeClientFor(context, row);
  if (!store) return { ...fallback, unavailable: "This migration never reached the cloud." };
  try {
    const status = await store.status();
    return {
      ...fallback,
      state: status.status,
      tables: status.tables ?? row.restoredTables,
      reason: status.reason,
    };
  } catch (error) {
    return { ...fallback, unavailable: publicUploadCause(error) };
  }
}
