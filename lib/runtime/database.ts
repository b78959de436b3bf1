import {
  appDatabaseOptions,
  migrateDatabase,
  openDatabase,
  type Database,
  type DatabaseHandle,
} from "@/db/client";
// Not the read-only barrel: the store prepares its restore targets with this
// module and must not load the instance's sign-in code (maintenance.ts).
import { reconcileReadOnlyGuard } from "@/lib/read-only/guard-lifecycle";
import { setLocalReadOnlyState } from "@/lib/read-only/local-state";
import { readOnlyStatus } from "@/lib/read-only/mode";

/**
 * Brings a database to what the code expects: committed migrations applied,
 * then the read-only guard made to follow the persisted flag — on every app
 * table (new ones included) while read-only is on, on none while it is off.
 */
export async function prepareDatabase(handle: DatabaseHandle): Promise<void> {
  await migrateDatabase(handle);
  await reconcileReadOnlyGuard(handle.db);
}

// Cached on globalThis so that dev-mode module reloads reuse one client (PGlite
// must never be opened twice on the same folder).
const cache = globalThis as unknown as { liftoffDb?: Promise<DatabaseHandle> };

/** The app's database, opened and prepared once per process. */
export function getDatabaseHandle(): Promise<DatabaseHandle> {
  cache.liftoffDb ??= (async () => {
    const handle = await openDatabase(appDatabaseOptions());
    await prepareDatabase(handle);
    const status = await readOnlyStatus(handle.db);
    setLocalReadOnlyState({ enabled: status.enabled, reason: status.reason });
    return handle;
  })().catch((error: unknown) => {
    cache.liftoffDb = undefined;
    throw error;
  });
  return cache.liftoffDb;
}

export async function getDb(): Promise<Database> {
  return (await getDatabaseHandle()).db;
}
